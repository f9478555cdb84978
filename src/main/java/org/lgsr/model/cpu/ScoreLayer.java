package org.lgsr.model.cpu;

import org.lgsr.util.Parallel;

/**
 * The scoring layer of a training step on its own, for benchmarks: packs E into item panels,
 * then scores, softmax cross-entropy and both backward products ({@link VecKernels#scoreStep}),
 * exactly as {@link CpuModel#forwardBackward} runs them. Needs {@link Simd#available()}.
 */
public final class ScoreLayer implements AutoCloseable {
    private final int B, d, n;
    private final Parallel par;
    private final Object step;
    private final float[] etp;
    private final long[] ns = new long[2];

    public ScoreLayer(int B, int d, int n, int threads) {
        if (!Simd.available()) throw new IllegalStateException("the Vector API kernels are unavailable (run with --add-modules jdk.incubator.vector)");
        if (d < Simd.lanes()) throw new IllegalArgumentException("width " + d + " is below one vector (" + Simd.lanes() + ")");
        this.B = B;
        this.d = d;
        this.n = n;
        this.par = new Parallel(threads);
        this.step = new VecKernels.Step(B, d, n, CpuModel.CHUNKS);
        this.etp = new float[VecKernels.panels(n) * VecKernels.P * d];
    }

    /**
     * sf (B, d), E (n, d) at offset 0 of e, targets in 1..n-1: writes dLoss/dE (n, d) into g from
     * offset 0 and dLoss/dsf into dsf; returns the mean cross-entropy.
     */
    public double step(float[] sf, float[] e, int[] target, float[] g, float[] dsf) {
        VecKernels.pack(e, n, d, etp, par);
        return VecKernels.scoreStep((VecKernels.Step) step, sf, B, e, etp, target, g, dsf, par, ns) / B;
    }

    /** Floating-point operations of the three products of one step: 3 (2 B d n). */
    public double flops() {
        return 3.0 * 2.0 * B * d * n;
    }

    @Override
    public void close() {
        par.close();
    }
}
