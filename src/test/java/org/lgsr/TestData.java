package org.lgsr;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Where the tests find the shared benchmark data ({@code ../shared/data} beside the project). */
public final class TestData {
    private TestData() {
    }

    public static Path root() {
        String env = System.getenv("LGSR_DATA");
        if (env != null && Files.isDirectory(Paths.get(env))) return Paths.get(env);
        return Paths.get("..", "shared", "data").toAbsolutePath().normalize();
    }

    public static Path dir(String name) {
        return root().resolve(name);
    }

    /**
     * A test's random seed: {@code -Dlgsr.test.seed=N} when given (to rerun a failure, whose
     * message names its seed), else a fresh one each run.
     */
    public static long seed() {
        return Long.getLong("lgsr.test.seed", System.nanoTime());
    }

    public static boolean has(String name) {
        return Files.isDirectory(dir(name));
    }

    /** ||a - ref|| / ||ref|| over [ao, ao + n) and [ro, ro + n) in float64 (||a - ref|| where ref is 0); infinite where a is not finite. */
    public static double relErr(float[] a, int ao, float[] ref, int ro, int n) {
        double num = 0, den = 0;
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(a[ao + i])) return Double.POSITIVE_INFINITY;
            double e = (double) a[ao + i] - ref[ro + i];
            num += e * e;
            den += (double) ref[ro + i] * ref[ro + i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }
}
