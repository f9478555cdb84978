package org.lgsr.graph;

import java.util.Arrays;
import org.lgsr.cpu.Adam;
import org.lgsr.cpu.Nce;
import org.lgsr.data.Sessions;
import org.lgsr.util.Parallel;

/**
 * The global module's trainable part (MODEL.md 3, paper 2.3): the output table {@code theta}
 * (numItems, d), its bias (numItems), their TF Adam state, and the loss L_g of skip-gram pairs
 * over the walk corpus with TF {@code nce_loss} negatives. The input table is the item table E
 * shared with the recommendation module, which the caller owns (see below).
 *
 * <p>Per batch ({@link #trainBatch}): {@code numSampled} negatives are drawn once for the
 * whole batch from the {@link LogUniformSampler} (stream keyed {@code (seed, step, -3)}), the
 * loss and gradients come from {@link Nce} (the one CPU NCE, also the GPU kernels' twin), theta
 * and bias take one step of the one Adam ({@link Adam}), and the
 * gradient of E is handed to the caller's {@link EmbeddingStep}.
 *
 * <p><b>Sharing E.</b> The encoder reads E from a caller-supplied {@code (float[] e, int eOff)}
 * (row 0 padding, never an input since walks hold nodes only) and adds the gradient of the
 * batch loss to a caller-supplied {@code (float[] eGrad, int eGradOff)} of E's layout, which
 * must be all zero on entry. It then calls {@code eStep.apply(rows, count)} with the rows
 * that hold gradient, and zeroes them afterwards. So the trainer decides which Adam moves E:
 * the recommendation module's flat Adam over the E segment, or a separate one
 * ({@link EmbeddingAdam}), dense (exact TF) or lazy.
 *
 * <p><b>Adam on theta and bias.</b> {@link AdamTf.Mode#DENSE} (default) updates every row of
 * theta and bias each step, as TF's Adam does for an embedding variable (m, v decay and rows
 * keep moving where g = 0); this costs O(numItems d) per step (memory-bound), small beside the
 * O(n S d) loss. {@link AdamTf.Mode#LAZY} updates only the rows the batch touched (labels and
 * negatives). The learning rate is the caller's (one schedule shared with L_rec); the Adam
 * step count is this encoder's own.
 */
public final class GlobalEncoder implements AutoCloseable {
    /**
     * @param dim                  d (100)
     * @param window               N_w (8: 8 contexts before, 7 after)
     * @param batchSize            pairs per batch (8192)
     * @param numSampled           N_s negatives per batch (512)
     * @param uniqueSampling       draw distinct negatives (TF default: true)
     * @param removeAccidentalHits drop negatives equal to a row's true class (true)
     * @param adamMode             DENSE (exact TF) or LAZY for theta and bias
     */
    public record Config(int dim, int window, int batchSize, int numSampled, boolean uniqueSampling,
                         boolean removeAccidentalHits, AdamTf.Mode adamMode, long seed, int threads) {
        public Config {
            if (dim < 1 || window < 1 || batchSize < 1 || numSampled < 1 || threads < 1) {
                throw new IllegalArgumentException("dim, window, batch size, negatives and threads must be >= 1: " + dim
                        + ", " + window + ", " + batchSize + ", " + numSampled + ", " + threads);
            }
        }

        public static Config defaults() {
            return new Config(100, 8, 8192, 512, true, true, AdamTf.Mode.DENSE, 1L, Runtime.getRuntime().availableProcessors());
        }

        public Config withDim(int x) {
            return new Config(x, window, batchSize, numSampled, uniqueSampling, removeAccidentalHits, adamMode, seed, threads);
        }

        public Config withBatch(int x) {
            return new Config(dim, window, x, numSampled, uniqueSampling, removeAccidentalHits, adamMode, seed, threads);
        }

        public Config withNegatives(int x) {
            return new Config(dim, window, batchSize, x, uniqueSampling, removeAccidentalHits, adamMode, seed, threads);
        }

        public Config withAdam(AdamTf.Mode x) {
            return new Config(dim, window, batchSize, numSampled, uniqueSampling, removeAccidentalHits, x, seed, threads);
        }

        public Config withSeed(long x) {
            return new Config(dim, window, batchSize, numSampled, uniqueSampling, removeAccidentalHits, adamMode, x, threads);
        }

        public Config withThreads(int x) {
            return new Config(dim, window, batchSize, numSampled, uniqueSampling, removeAccidentalHits, adamMode, seed, x);
        }
    }

    /**
     * Departures from the authors' L_g, each a remedy for the harm L_g does to the shared table
     * (README, "Joint training"); {@link #tfNce()} is TF's nce_loss as MODEL.md 3 describes it.
     *
     * @param logQ       subtract the log of the expected counts from the logits (TF's nce_loss: true)
     * @param tie        the output table is E itself (theta is not used): the context row's
     *                   product with the centre item's row of E is what the loss shapes, which is
     *                   the product the recommendation module ranks by
     * @param centerGrad remove the mean of the batch's E gradient rows from each of them, so that
     *                   L_g cannot move every row of E in one common direction
     * @param plainDegree the negatives' sampler ranks the nodes with an edge by plain degree, as the
     *                   authors' code (false: weighted degree over every node)
     */
    public record Options(boolean logQ, boolean tie, boolean centerGrad, boolean plainDegree) {
        public Options(boolean logQ, boolean tie, boolean centerGrad) {
            this(logQ, tie, centerGrad, false);
        }

        public static Options tfNce() {
            return new Options(true, false, false, false);
        }
    }

    /** Statistics of one pass: mean of the batch losses, pairs, batches, wall seconds. */
    public record PassStats(double meanLoss, long pairs, long batches, double seconds) {
        public double pairsPerSecond() {
            return pairs / seconds;
        }
    }

    /** Rows of theta and bias per task of the dense Adam step. */
    private static final int ADAM_ROWS = 512;

    private final Config c;
    private final Options o;
    private final int numItems;
    private final int d;
    private final LogUniformSampler sampler;
    private final Negatives negatives;
    private final Nce loss;
    private final Parallel par;
    private final float[] theta;
    private final float[] bias;
    private final float[] thetaGrad;
    private final float[] biasGrad;
    private final float[] mTheta;
    private final float[] vTheta;
    private final float[] mBias;
    private final float[] vBias;
    // per-batch scratch
    private final int[] inputs;
    private final int[] labels;
    private final float[] trueLogQ;
    private final int[] sampled;
    private final float[] sampledLogQ;
    private final int[] rowStamp;
    private final int[] eRows;
    private final int[] thetaRows;
    private int stamp;
    private long step;
    /** Nanoseconds spent per phase: sampling and log Q, loss, collect, theta/bias Adam, E step. */
    private final long[] phaseNanos = new long[5];

    public GlobalEncoder(ItemGraph graph, Config c) {
        this(graph, c, Options.tfNce());
    }

    public GlobalEncoder(ItemGraph graph, Config c, Options o) {
        this.c = c;
        this.o = o;
        this.numItems = graph.numItems();
        this.d = c.dim();
        this.sampler = new LogUniformSampler(graph, o.plainDegree());
        this.negatives = new Negatives(sampler, c.numSampled(), c.uniqueSampling(), c.seed());
        this.loss = new Nce(d, c.batchSize(), c.numSampled(), c.threads());
        this.par = new Parallel(c.threads());
        long size = (long) numItems * d;
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("theta too large: " + numItems + " x " + d);
        this.theta = new float[(int) size];
        this.bias = new float[numItems];
        this.thetaGrad = new float[(int) size];
        this.biasGrad = new float[numItems];
        this.mTheta = new float[(int) size];
        this.vTheta = new float[(int) size];
        this.mBias = new float[numItems];
        this.vBias = new float[numItems];
        this.inputs = new int[c.batchSize()];
        this.labels = new int[c.batchSize()];
        this.trueLogQ = new float[c.batchSize()];
        this.sampled = new int[c.numSampled()];
        this.sampledLogQ = new float[c.numSampled()];
        this.rowStamp = new int[numItems];
        this.eRows = new int[Math.min(numItems, c.batchSize() + (o.tie() ? c.numSampled() + c.batchSize() : 0))];
        this.thetaRows = new int[Math.min(numItems, c.batchSize() + c.numSampled())];
        initialTheta(theta, d, c.seed());
    }

    /** theta's initial values ~ U(-1/sqrt(d), 1/sqrt(d)) [code] from the stream keyed (seed, -4, -4); the bias starts at 0. */
    public static void initialTheta(float[] theta, int d, long seed) {
        Rng init = new Rng(Rng.key(seed, -4, -4));
        float scale = (float) (1.0 / Math.sqrt(d));
        for (int i = 0; i < theta.length; i++) theta[i] = (float) ((2 * init.nextDouble() - 1) * scale);
    }

    public Config config() {
        return c;
    }

    /** The output table theta, (numItems, d) row-major; live, not a copy. */
    public float[] theta() {
        return theta;
    }

    /**
     * The encoder's tables for a checkpoint, live: the bias and its Adam moments, and theta with
     * its moments unless theta is tied to E ({@link Options#tie()}: E's own state is the caller's).
     */
    public java.util.Map<String, float[]> tables() {
        java.util.Map<String, float[]> t = new java.util.LinkedHashMap<>();
        if (!o.tie()) {
            t.put("theta", theta);
            t.put("thetaM", mTheta);
            t.put("thetaV", vTheta);
        }
        t.put("bias", bias);
        t.put("biasM", mBias);
        t.put("biasV", vBias);
        return t;
    }

    /** Puts back the tables of {@link #tables()} and the step count. */
    public void restore(java.util.Map<String, float[]> tables, long steps) {
        for (java.util.Map.Entry<String, float[]> e : tables().entrySet()) {
            float[] src = tables.get(e.getKey());
            if (src == null || src.length != e.getValue().length) {
                throw new IllegalArgumentException("checkpoint: the global encoder's table " + e.getKey() + " is missing or of another size");
            }
            System.arraycopy(src, 0, e.getValue(), 0, src.length);
        }
        this.step = steps;
    }

    /** The output bias, (numItems); live. */
    public float[] bias() {
        return bias;
    }

    /**
     * Nanoseconds spent so far in each phase of {@link #trainBatch}: {sampling and log Q, loss,
     * collecting touched rows, Adam on theta and bias, the E step}; a copy.
     */
    public long[] phaseNanos() {
        return phaseNanos.clone();
    }

    /** Nanoseconds per stage of the loss ({@link Nce#stageNanos}); a copy. */
    public long[] lossStageNanos() {
        return loss.stageNanos();
    }

    /** Whether the loss runs its Vector API body. */
    public boolean vectorLoss() {
        return loss.vectorized();
    }

    /** Adam steps taken (batches trained). */
    public long steps() {
        return step;
    }

    /**
     * One L_g step on the pairs {@code (inputs[i], labels[i])}, {@code i < n}: the input is the
     * context item (row of E), the label the centre item (row of theta). Returns the batch loss
     * (mean over pairs). See the class comment for {@code e}, {@code eGrad} and {@code eStep}.
     */
    public double trainBatch(int[] inputs, int[] labels, int n, float[] e, int eOff, float[] eGrad, int eGradOff,
                             double lr, EmbeddingStep eStep) {
        if (n < 1 || n > c.batchSize()) throw new IllegalArgumentException("batch of " + n + " pairs, limit " + c.batchSize());
        step++;
        long t0 = System.nanoTime();
        int s = c.numSampled();
        int tries = negatives.draw(step, sampled, sampledLogQ);
        for (int i = 0; i < n; i++) {
            int r = sampler.rankOfItem(labels[i]);
            if (r < 0) throw new IllegalArgumentException("label " + labels[i] + " is not a graph node");
            trueLogQ[i] = o.logQ() ? (float) Math.log(sampler.expectedCount(r, s, tries)) : 0f;
        }
        if (!o.logQ()) Arrays.fill(sampledLogQ, 0, s, 0f);
        int nt = collect(labels, n, sampled, s, thetaRows);
        if (o.tie()) {
            // theta is E: its touched rows are read from E, and their gradient goes to E's
            for (int i = 0; i < nt; i++) System.arraycopy(e, eOff + thetaRows[i] * d, theta, thetaRows[i] * d, d);
        }
        long t1 = System.nanoTime();
        double batchLoss = loss.forwardBackward(e, eOff, theta, bias, inputs, labels, trueLogQ, n, sampled, sampledLogQ, s,
                c.removeAccidentalHits(), eGrad, eGradOff, thetaGrad, biasGrad);
        long t2 = System.nanoTime();
        // rows holding gradient
        int ne;
        if (o.tie()) {
            for (int i = 0; i < nt; i++) {
                int r = thetaRows[i];
                int go = eGradOff + r * d;
                for (int j = 0; j < d; j++) eGrad[go + j] += thetaGrad[r * d + j];
            }
            ne = collect(inputs, n, thetaRows, nt, eRows);
        } else {
            ne = collect(inputs, n, null, 0, eRows);
        }
        if (o.centerGrad()) centerRows(eGrad, eGradOff, d, eRows, ne);
        long t3 = System.nanoTime();
        final float b1 = Adam.DEFAULT_BETA1, b2 = Adam.DEFAULT_BETA2, eps = Adam.DEFAULT_EPSILON;
        float lrT = Adam.learningRate(lr, b1, b2, step);
        if (c.adamMode() == AdamTf.Mode.LAZY) {
            if (!o.tie()) Adam.rows(theta, 0, thetaGrad, 0, mTheta, vTheta, 0, d, thetaRows, nt, lrT, b1, b2, eps);
            Adam.rows(bias, 0, biasGrad, 0, mBias, vBias, 0, 1, thetaRows, nt, lrT, b1, b2, eps);
        } else {
            // theta's and the bias's rows together, in fixed blocks (element-wise: any split gives the same bits);
            // tied, theta is E and moves with E's Adam only
            par.forEach((numItems + ADAM_ROWS - 1) / ADAM_ROWS, task -> {
                int r0 = task * ADAM_ROWS, r1 = Math.min(numItems, r0 + ADAM_ROWS);
                if (!o.tie()) Adam.adam(theta, r0 * d, thetaGrad, r0 * d, mTheta, vTheta, r0 * d, (r1 - r0) * d, lrT, b1, b2, eps);
                Adam.adam(bias, r0, biasGrad, r0, mBias, vBias, r0, r1 - r0, lrT, b1, b2, eps);
            });
        }
        for (int i = 0; i < nt; i++) {
            int r = thetaRows[i];
            Arrays.fill(thetaGrad, r * d, r * d + d, 0f);
            biasGrad[r] = 0f;
        }
        long t4 = System.nanoTime();
        eStep.apply(eRows, ne);
        for (int i = 0; i < ne; i++) {
            int o = eGradOff + eRows[i] * d;
            Arrays.fill(eGrad, o, o + d, 0f);
        }
        long t5 = System.nanoTime();
        phaseNanos[0] += t1 - t0;
        phaseNanos[1] += t2 - t1;
        phaseNanos[2] += t3 - t2;
        phaseNanos[3] += t4 - t3;
        phaseNanos[4] += t5 - t4;
        return batchLoss;
    }

    /** Subtracts the mean of the rows {@code rows[0..count)} of the (., d) table at {@code off} in {@code g} from each of them. */
    public static void centerRows(float[] g, int off, int d, int[] rows, int count) {
        if (count < 2) return;
        double[] mean = new double[d];
        for (int i = 0; i < count; i++) {
            int go = off + rows[i] * d;
            for (int j = 0; j < d; j++) mean[j] += g[go + j];
        }
        float[] m = new float[d];
        for (int j = 0; j < d; j++) m[j] = (float) (mean[j] / count);
        for (int i = 0; i < count; i++) {
            int go = off + rows[i] * d;
            for (int j = 0; j < d; j++) g[go + j] -= m[j];
        }
    }

    /** The distinct ids of {@code a[0..na)} and {@code b[0..nb)}, ascending, into {@code out}. */
    private int collect(int[] a, int na, int[] b, int nb, int[] out) {
        if (++stamp == Integer.MAX_VALUE) {
            Arrays.fill(rowStamp, 0);
            stamp = 1;
        }
        int count = 0;
        for (int i = 0; i < na; i++) {
            if (rowStamp[a[i]] != stamp) {
                rowStamp[a[i]] = stamp;
                out[count++] = a[i];
            }
        }
        for (int i = 0; i < nb; i++) {
            if (rowStamp[b[i]] != stamp) {
                rowStamp[b[i]] = stamp;
                out[count++] = b[i];
            }
        }
        Arrays.sort(out, 0, count);
        return count;
    }

    /**
     * One pass of L_g over the walk corpus: pairs from {@link SkipGramPairs} (walks shuffled
     * with the stream keyed {@code (seed, pass, -2)}), in batches of {@code batchSize}, the
     * last one possibly smaller; {@code maxBatches} (or {@code Long.MAX_VALUE}) stops it early.
     */
    public PassStats trainPass(Sessions walks, int pass, float[] e, int eOff, float[] eGrad, int eGradOff, double lr,
                               EmbeddingStep eStep, long maxBatches) {
        return trainPass(walks, pass, e, eOff, eGrad, eGradOff, lr, eStep, maxBatches, null);
    }

    /** As above, also ending after the current batch once {@code stop} (may be null) answers true. */
    public PassStats trainPass(Sessions walks, int pass, float[] e, int eOff, float[] eGrad, int eGradOff, double lr,
                               EmbeddingStep eStep, long maxBatches, java.util.function.BooleanSupplier stop) {
        long t0 = System.nanoTime();
        SkipGramPairs pairs = new SkipGramPairs(walks, c.window(), c.seed(), pass);
        double sum = 0;
        long batches = 0;
        long count = 0;
        int n;
        while (batches < maxBatches && (n = pairs.next(inputs, labels, c.batchSize())) > 0) {
            sum += trainBatch(inputs, labels, n, e, eOff, eGrad, eGradOff, lr, eStep);
            batches++;
            count += n;
            if (stop != null && stop.getAsBoolean()) break;
        }
        return new PassStats(batches == 0 ? 0 : sum / batches, count, batches, (System.nanoTime() - t0) * 1e-9);
    }

    @Override
    public void close() {
        loss.close();
        par.close();
    }
}
