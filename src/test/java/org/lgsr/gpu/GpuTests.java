package org.lgsr.gpu;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;

/**
 * Shared by the tests tagged "gpu": they run on a GPU where one answers, else on the simulated
 * device, and are skipped (with the probe's one line) only where neither is there.
 */
final class GpuTests {
    private GpuTests() {
    }

    private static boolean told;
    private static Session session;

    /** The one context (the device's primary context), kernel module and stream all GPU test classes share. */
    record Session(GpuContext context, KernelModule module, CudaStream stream) {
    }

    /**
     * Skips the test where there is no GPU; otherwise opens the shared session on first use
     * (closed when the JVM exits).
     */
    static synchronized Session session() {
        assumeGpu();
        if (session == null) {
            GpuContext ctx = GpuContext.open(0);
            Session s = new Session(ctx, new KernelModule(), new CudaStream());
            session = s;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                s.stream().close();
                s.module().close();
                s.context().close();
            }, "gpu-tests-close"));
        }
        return session;
    }

    static synchronized void assumeGpu() {
        chooseDevice();
        GpuProbe p = GpuProbe.current();
        if (!p.available() && !told) {
            told = true;
            System.err.println("tests tagged gpu are SKIPPED: no GPU and no simulated device: " + p.summary());
        }
        assumeTrue(p.available(), "no GPU and no simulated device: " + p.summary());
    }

    private static boolean chosen;

    /**
     * A real GPU where one answers; else the simulated device (the same kernels compiled for the
     * CPU), so that the GPU tests run on every machine. {@code LGSR_TEST_DEVICE=sim} takes the
     * simulated device even where a GPU answers; {@code gpu} never falls back to it.
     */
    static synchronized void chooseDevice() {
        if (chosen) return;
        chosen = true;
        String want = System.getenv().getOrDefault("LGSR_TEST_DEVICE", "auto").strip();
        if (want.equals("gpu")) return;
        if (!want.equals("sim") && GpuProbe.get().available()) return;
        String why = org.lgsr.gpu.sim.SimDriver.availability();
        if (why == null) {
            Driver.useSim();
            System.err.println("tests tagged gpu run on the simulated device: " + GpuProbe.current().summary());
        } else if (want.equals("sim")) {
            throw new IllegalStateException("LGSR_TEST_DEVICE=sim, but " + why);
        }
    }

    /** Whether the tests run on the simulated device (slow: test shapes are cut to fit). */
    static boolean simulated() {
        return Driver.get().simulated();
    }

    static float[] gaussian(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian() * scale;
        return a;
    }

    /** ||a - ref|| / ||ref|| in float64. */
    static double relativeError(float[] a, double[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(a[i])) return Double.POSITIVE_INFINITY;
            num += (a[i] - ref[i]) * (a[i] - ref[i]);
            den += ref[i] * ref[i];
        }
        if (den == 0) return num == 0 ? 0 : Double.POSITIVE_INFINITY; // an all-zero reference: exact zeros or nothing
        return Math.sqrt(num / den);
    }

    /** The largest distance in units in the last place between a and b (NaN anywhere: MAX_VALUE). */
    static int maxUlps(float[] a, float[] b) {
        int worst = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i]) || Float.isNaN(b[i])) return Integer.MAX_VALUE;
            int x = Float.floatToIntBits(a[i]), y = Float.floatToIntBits(b[i]);
            if (x < 0) x = Integer.MIN_VALUE - x;
            if (y < 0) y = Integer.MIN_VALUE - y;
            worst = Math.max(worst, (int) Math.min(Integer.MAX_VALUE, Math.abs((long) x - y)));
        }
        return worst;
    }
}
