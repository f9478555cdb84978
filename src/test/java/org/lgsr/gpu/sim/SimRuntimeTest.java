package org.lgsr.gpu.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The simulated device's native runtime (native/sim): runs lgsr_sim_selftest, which CMake builds
 * beside the other native pieces in the build folder's cmake/ (target/cmake/lgsr_sim_selftest):
 * counting barriers with early exits, divergent shuffles, exited-lane and deadlock detection,
 * atomics across blocks, per-block NaN-filled shared memory, launch shape checks, real kernels of
 * cuda/*.cu through the registry, and the sgemm stand-ins. Skipped only where the build had no
 * cmake (then nothing native was built).
 */
class SimRuntimeTest {
    @Test
    void selftestPasses() throws IOException, InterruptedException {
        Path exe = buildFolder().resolve("cmake").resolve("lgsr_sim_selftest");
        if (!Files.isExecutable(exe)) {
            assumeTrue(cmakeOnPath(), "built without cmake: no native code, no " + exe);
            throw new AssertionError("cmake is on PATH but the build made no " + exe
                    + " (scripts/build-native.sh; the log is target/cmake/native-build.log)");
        }
        Path log = Files.createTempFile("lgsr-sim-selftest", ".log");
        try {
            Process p = new ProcessBuilder(exe.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean done = p.waitFor(300, TimeUnit.SECONDS);
            if (!done) p.destroyForcibly().waitFor();
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(done, "lgsr_sim_selftest did not finish in 300 s:\n" + out);
            assertEquals(0, p.exitValue(), "lgsr_sim_selftest failed:\n" + out);
            assertTrue(out.contains(" 0 failed"), out);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** target/ (or -DbuildDir=...): the parent of the folder these test classes were loaded from. */
    private static Path buildFolder() {
        try {
            Path classes = Path.of(SimRuntimeTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (classes.getParent() != null && Files.isDirectory(classes.getParent().resolve("cmake"))) {
                return classes.getParent();
            }
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            // fall back to the working directory's target/
        }
        return Path.of(System.getProperty("user.dir"), "target");
    }

    private static boolean cmakeOnPath() {
        String path = System.getenv("PATH");
        return path != null && Arrays.stream(path.split(File.pathSeparator)).anyMatch(d -> new File(d, "cmake").canExecute());
    }
}
