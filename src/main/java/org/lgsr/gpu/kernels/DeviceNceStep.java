package org.lgsr.gpu.kernels;

import java.util.ArrayList;
import java.util.List;
import org.lgsr.cpu.Nce;
import org.lgsr.gpu.Cublas;
import org.lgsr.gpu.Driver;
import org.lgsr.gpu.CudaStream;
import org.lgsr.gpu.DeviceBuffer;
import org.lgsr.gpu.DeviceFloats;
import org.lgsr.gpu.DeviceInfo;
import org.lgsr.gpu.DeviceInts;
import org.lgsr.gpu.KernelModule;

/**
 * One batch of the global encoder's loss L_g on the device: what
 * {@link org.lgsr.cpu.Nce#forwardBackward} computes (same loss, gradients ADDED to gE,
 * gTheta, gBias as Nce adds them), with E, theta, bias, their gradients and the batch's
 * pairs resident on the device. Per batch only the S negatives and their log Q (drawn on the
 * host by {@code LogUniformSampler}, 8 S bytes) go to the device, and the loss (8 bytes) comes
 * back ({@link #step}; {@link #enqueue} leaves it on the device). CPU twin: {@link Nce#step}.
 *
 * <p>The sequence, all on one stream (N pairs, S negatives, row-major shapes):
 * <pre>
 *   copy   sampled (S), sampledLogQ (S)                   host -&gt; device (staged, stream-ordered)
 *   nce_true_logq      trueLogQ (N)                       from labels and the rank table
 *   embedding_gather   Vin (N, d) = E[inputs];  ThetaS (S, d) = theta[sampled]
 *   cuBLAS             Ls (N, S) = Vin ThetaS^T
 *   nce_loss_grad      Ls -&gt; dL in place; rowLoss, dTrue, dVin = dTrue_i theta[labels[i]], colPart
 *   cuBLAS             dVin += dL ThetaS       (N, d)
 *   cuBLAS             dThetaS = dL^T Vin      (S, d)
 *   nce_scatter        gE, gTheta, gBias += ... (atomics)
 *   nce_loss_sum       loss = sum rowLoss / N  (a double on the device)
 * </pre>
 * cuBLAS is column-major: a row-major (r, c) matrix is, to cuBLAS, its transpose (c x r) with
 * leading dimension c. The three calls, derived in their comments, use no copies.
 *
 * <p><b>Nondeterminism.</b> nce_scatter's atomicAdds sum rows that share an item (repeated
 * inputs or labels, a label that is also a negative) in an unspecified order, so gE, gTheta,
 * gBias may differ in their last bits between runs; cuBLAS FP32 products are deterministic on
 * one device and library. With the handle in TF32 math mode the products are TF32 and the
 * 1e-5 agreement with Nce no longer holds: the caller sets FP32 for that.
 *
 * <p>The cuBLAS handle is shared: {@link #enqueue} sets its stream to the step's stream. All
 * steps of one instance must use one stream (or be synchronized between): the scratch
 * buffers are reused. {@code logRange} and the device rank table come from
 * {@code LogUniformSampler} ({@code logRange()}, {@code rankOfItem(item)} for every item).
 * Indices are trusted (inputs, labels, sampled in range; labels graph nodes, else the loss is
 * NaN).
 */
public final class DeviceNceStep implements AutoCloseable {
    private final NceKernels kernels;
    private final org.lgsr.gpu.GpuKernels gathers;
    private final Cublas blas;
    private final int d;
    private final int maxN;
    private final int maxS;
    private final List<DeviceBuffer> owned = new ArrayList<>();
    private final DeviceFloats vin;       // (maxN, d)
    private final DeviceFloats thetaS;    // (maxS, d)
    private final DeviceFloats logits;    // (maxN, maxS): Ls, then dL
    private final DeviceFloats dVin;      // (maxN, d)
    private final DeviceFloats dThetaS;   // (maxS, d)
    private final DeviceFloats trueLogQ;  // (maxN)
    private final DeviceFloats rowLoss;   // (maxN)
    private final DeviceFloats dTrue;     // (maxN)
    private final DeviceFloats colPart;   // (parts(maxN), maxS)
    private final DeviceInts negatives;   // (2 maxS): sampled ids [0, S), sampledLogQ bits [S, 2S)
    private final DeviceInts loss;        // (2): one double
    private final int[] stage;            // host staging of the negatives: S ids, then S log Q as float bits
    private final int[] lossBits = new int[2];

    /**
     * Allocates the scratch for batches of up to {@code maxN} pairs and {@code maxS} negatives
     * of width {@code d} (about 4 (maxN maxS + 3 maxN d + 2 maxS d) bytes).
     */
    public DeviceNceStep(KernelModule module, DeviceInfo device, Cublas blas, int d, int maxN, int maxS) {
        if (d < 1 || d > Nce.MAX_D) throw new IllegalArgumentException("d = " + d + " outside [1, NCE_MAX_D = " + Nce.MAX_D + "]");
        if (maxS < 1 || maxS > Nce.MAX_S) throw new IllegalArgumentException("maxS = " + maxS + " outside [1, NCE_MAX_S = " + Nce.MAX_S + "]");
        if (maxN < 1) throw new IllegalArgumentException("maxN = " + maxN + " must be >= 1");
        this.kernels = new NceKernels(module, device);
        this.gathers = new org.lgsr.gpu.GpuKernels(module, device);
        this.blas = blas;
        this.d = d;
        this.maxN = maxN;
        this.maxS = maxS;
        try {
            vin = floats((long) maxN * d);
            thetaS = floats((long) maxS * d);
            logits = floats((long) maxN * maxS);
            dVin = floats((long) maxN * d);
            dThetaS = floats((long) maxS * d);
            trueLogQ = floats(maxN);
            rowLoss = floats(maxN);
            dTrue = floats(maxN);
            colPart = floats((long) Nce.parts(maxN) * maxS);
            negatives = ints(2L * maxS);
            loss = ints(2);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        stage = new int[2 * maxS];
    }

    private DeviceFloats floats(long n) {
        DeviceFloats b = new DeviceFloats(n);
        owned.add(b);
        return b;
    }

    private DeviceInts ints(long n) {
        DeviceInts b = new DeviceInts(n);
        owned.add(b);
        return b;
    }

    /**
     * One batch; returns its loss (Nce.forwardBackward's return: the mean over the n pairs of
     * loss_i; 0 for n = 0) and adds the gradients to gE (E's layout), gTheta, gBias. Waits for
     * the stream. Arguments as {@link #enqueue}.
     */
    public double step(long e, long gE, long theta, long gTheta, long bias, long gBias, DeviceInts inputs,
                       DeviceInts labels, int n, int[] sampled, float[] sampledLogQ, int s, int numTries,
                       DeviceInts rankOfItem, double logRange, boolean removeAccidentalHits, CudaStream stream) {
        enqueue(e, gE, theta, gTheta, bias, gBias, inputs, labels, n, sampled, sampledLogQ, s, numTries, rankOfItem,
                logRange, removeAccidentalHits, stream);
        if (stream != null) stream.synchronize();
        else Driver.get().contextSynchronize();
        loss.copyTo(lossBits);
        return lossValue(lossBits);
    }

    /**
     * Enqueues one batch on {@code stream} (null: the legacy default stream) without waiting;
     * the batch loss is then the double at {@link #lossAddress()}. {@code e}, {@code theta},
     * {@code bias}: raw addresses of E (numItems, d), theta (numItems, d), bias (numItems);
     * {@code gE}, {@code gTheta}, {@code gBias}: their gradients, same layouts, added to;
     * {@code inputs}, {@code labels}: the n pairs on the device (context item: row of E; centre
     * item: row of theta); {@code sampled}, {@code sampledLogQ}: the s negative ids and their
     * (float) log expected counts, on the host, as GlobalEncoder makes them; {@code numTries}:
     * the sampler's tries (= s without unique sampling); {@code rankOfItem}: (numItems) the
     * sampler's rank of each item, -1 for non-nodes; {@code logRange}: the sampler's
     * {@code logRange()}.
     */
    public void enqueue(long e, long gE, long theta, long gTheta, long bias, long gBias, DeviceInts inputs,
                        DeviceInts labels, int n, int[] sampled, float[] sampledLogQ, int s, int numTries,
                        DeviceInts rankOfItem, double logRange, boolean removeAccidentalHits, CudaStream stream) {
        enqueue(e, gE, theta, gTheta, bias, gBias, inputs, labels, n, sampled, sampledLogQ, s, numTries, rankOfItem, logRange,
                removeAccidentalHits, true, stream);
    }

    /**
     * As above; {@code logQ} false sets the true classes' log Q to 0 instead of running nce_true_logq
     * ({@code --g-logq off}; the caller's sampledLogQ is then 0 too). theta may be E itself and gTheta gE
     * ({@code --g-tie on}): the scatter's atomics add both roles' gradients.
     */
    public void enqueue(long e, long gE, long theta, long gTheta, long bias, long gBias, DeviceInts inputs,
                        DeviceInts labels, int n, int[] sampled, float[] sampledLogQ, int s, int numTries,
                        DeviceInts rankOfItem, double logRange, boolean removeAccidentalHits, boolean logQ, CudaStream stream) {
        if (n < 0 || n > maxN) throw new IllegalArgumentException("batch of " + n + " pairs, limit maxN = " + maxN);
        if (s < 1 || s > maxS) throw new IllegalArgumentException("S = " + s + " negatives outside [1, maxS = " + maxS + "]");
        if (sampled.length < s || sampledLogQ.length < s) {
            throw new IllegalArgumentException("S = " + s + " but " + sampled.length + " ids and " + sampledLogQ.length + " log Q");
        }
        if (inputs.length() < n || labels.length() < n) {
            throw new IllegalArgumentException("n = " + n + " pairs but " + inputs.length() + " inputs and " + labels.length() + " labels");
        }
        if (n == 0) {
            loss.fill(0, stream); // the double 0.0
            return;
        }
        // the negatives: one staged, stream-ordered copy (the call returns once the host bytes are taken)
        for (int k = 0; k < s; k++) {
            stage[k] = sampled[k];
            stage[s + k] = Float.floatToRawIntBits(sampledLogQ[k]);
        }
        Driver.get().copyArrayToDevice(negatives.address(), stage, 0, 8L * s, stream == null ? 0 : stream.address());
        long sampledIds = negatives.address(), sampledQ = negatives.address() + 4L * s;

        if (logQ) kernels.trueLogq(labels.address(), rankOfItem.address(), n, s, numTries, logRange, trueLogQ.address(), stream);
        else org.lgsr.gpu.DevicePointers.memsetD32(trueLogQ.address(), 0, n, stream);
        gathers.embeddingGather(vin.address(), e, inputs.address(), n, d, stream);
        gathers.embeddingGather(thetaS.address(), theta, sampledIds, s, d, stream);

        blas.setStream(stream);
        // Ls (N, S) row-major = Vin ThetaS^T. To cuBLAS Ls is Ls^T (S x N, ld S) = ThetaS Vin^T;
        // ThetaS (S, d) row-major is ThetaS^T (d x S, ld d) to it, so op(A) = T; Vin (N, d) is
        // Vin^T (d x N, ld d), op(B) = N. m = S, n = N, k = d.
        blas.sgemm(true, false, s, n, d, 1f, thetaS.address(), d, vin.address(), d, 0f, logits.address(), s);

        int parts = Nce.parts(n);
        kernels.lossGrad(logits.address(), vin.address(), theta, bias, labels.address(), sampledIds, sampledQ,
                trueLogQ.address(), n, s, d, removeAccidentalHits, 1.0f / n, rowLoss.address(), dTrue.address(),
                dVin.address(), colPart.address(), stream);

        // dVin (N, d) += dL (N, S) ThetaS (S, d). To cuBLAS: dVin^T (d x N, ld d) += ThetaS^T (d x S,
        // ld d: ThetaS as stored, op N) dL^T (S x N, ld S: dL as stored, op N); beta = 1 keeps the
        // true class's part that nce_loss_grad wrote. m = d, n = N, k = S.
        blas.sgemm(false, false, d, n, s, 1f, thetaS.address(), d, logits.address(), s, 1f, dVin.address(), d);
        // dThetaS (S, d) = dL^T (S, N) Vin (N, d). To cuBLAS: dThetaS^T (d x S, ld d) = Vin^T (d x N,
        // ld d: Vin as stored, op N) dL (N x S: dL as stored is dL^T (S x N, ld S), so op T).
        // m = d, n = S, k = N.
        blas.sgemm(false, true, d, s, n, 1f, vin.address(), d, logits.address(), s, 0f, dThetaS.address(), d);

        kernels.scatter(gE, gTheta, gBias, vin.address(), dVin.address(), dTrue.address(), inputs.address(),
                labels.address(), n, dThetaS.address(), colPart.address(), parts, sampledIds, s, d, stream);
        kernels.lossSum(rowLoss.address(), n, loss.address(), stream);
    }

    /** The device address of the last enqueued batch's loss (a double). */
    public long lossAddress() {
        return loss.address();
    }

    static double lossValue(int[] bits) {
        return Double.longBitsToDouble(((long) bits[1] << 32) | (bits[0] & 0xffffffffL));
    }

    public int dim() {
        return d;
    }

    public int maxN() {
        return maxN;
    }

    public int maxS() {
        return maxS;
    }

    /**
     * FLOPs of one batch: the three products (2 N S d each) plus the kernels
     * ({@link NceKernels}'s counts; the gathers none).
     */
    public static long flops(long n, long s, long d) {
        return 6 * n * s * d + NceKernels.trueLogqFlops(n) + NceKernels.lossGradFlops(n, s, d)
                + NceKernels.scatterFlops(n, s, d) + NceKernels.lossSumFlops(n);
    }

    /**
     * Bytes through device memory in one batch, step by step (each operand of each step read
     * once, each result written once): the negatives' copy (8 S), the kernels'
     * ({@link NceKernels}), the two gathers, and the products: Ls 4 (N d + S d + N S), dVin
     * 4 (N S + S d + 2 N d) (read and written, beta = 1), dThetaS 4 (N d + N S + S d), and the
     * loss read back (8). At N = 8192, S = 512, d = 100: 136.2 MB (2.569 GFLOP), of which the
     * (N, S) matrix accounts for 83.9 MB (five passes of 16.8 MB: written by the first product,
     * read and rewritten by nce_loss_grad, read by each backward product).
     */
    public static long bytes(long n, long s, long d) {
        long products = 4 * (n * d + s * d + n * s) + 4 * (n * s + s * d + 2 * n * d) + 4 * (n * d + n * s + s * d);
        return 8 * s + NceKernels.trueLogqBytes(n) + gatherBytes(n, d) + gatherBytes(s, d)
                + products + NceKernels.lossGradBytes(n, s, d) + NceKernels.scatterBytes(n, s, d)
                + NceKernels.lossSumBytes(n) + 8;
    }

    /** embedding_gather of {@code rows} rows: rows read and written, indices read. */
    private static long gatherBytes(long rows, long d) {
        return 8 * rows * d + 4 * rows;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (RuntimeException ex) {
                if (first == null) first = ex;
            }
        }
        owned.clear();
        if (first != null) throw first;
    }
}
