package org.lgsr.model.cpu;

/**
 * Whether the Vector API kernels ({@link VecKernels}) can run: probed once, silently. When the
 * module {@code jdk.incubator.vector} is absent at run time (no {@code --add-modules
 * jdk.incubator.vector}), or the system property {@code lgsr.simd=false} is set, the engine
 * uses its scalar loops instead ({@link ScoreKernels}). This class itself never touches the
 * Vector API, so loading it is always safe.
 */
public final class Simd {
    /** Floats per vector of the Vector API kernels, 0 when they are unavailable. */
    private static final int LANES = probe();

    private Simd() {
    }

    private static int probe() {
        if ("false".equalsIgnoreCase(System.getProperty("lgsr.simd", "true"))) return 0;
        try {
            return VecKernels.probe();
        } catch (LinkageError | RuntimeException e) {
            return 0;
        }
    }

    /** True when the Vector API kernels are usable. */
    public static boolean available() {
        return LANES > 0;
    }

    /** Floats per vector (16 with AVX-512), 0 when unavailable. */
    public static int lanes() {
        return LANES;
    }

    /** A one-line description, for logs and benchmarks. */
    public static String describe() {
        return available() ? "Vector API, " + LANES + " floats per vector" : "scalar loops (Vector API unavailable)";
    }
}
