package org.lgsr.train;

/**
 * The global encoder's settings (MODEL.md sections 3 to 5), used by {@code --variant lgsr}.
 *
 * @param walksPerNode T: rounds of walks, every node starting one walk per round (13)
 * @param walkLength   L: nodes per walk at most (50)
 * @param window       N_w: contexts before a position (after: N_w - 1) (8)
 * @param negatives    N_s: negatives drawn per batch (512)
 * @param passes       g: passes of L_g before each epoch of L_rec (2)
 * @param batchSize    skip-gram pairs per batch (8192)
 * @param lazyAdam     update only the touched rows of E, theta and bias (exact TF: every row)
 * @param maxBatches   stop each pass after this many batches (0: whole passes); for quick runs
 * @param stopDelta    L_g is trained no more once a pass's mean loss moves by at most this (5e-4)
 * @param lrScale      L_g's learning rate is this times the run's schedule (1: one schedule for both losses [code])
 * @param logQ         TF's log-Q correction of the NCE logits ([code]: on)
 * @param tie          the skip-gram output table is E itself, not a separate theta ([code]: off)
 * @param center       what removes the common component L_g gives E: {@code none} ([code]), {@code grad} (the
 *                     mean of each batch's E gradient rows is removed) or {@code pass} (the mean row of E is
 *                     subtracted from every row after each pass)
 * @param authorsStop  the early-stop test is consulted only at the start of an epoch, so the epoch's remaining
 *                     passes still run ([code]: on); off ends L_g right after the pass that converged
 * @param interleave   the epoch's {@code passes} passes of L_g are spread evenly over its L_rec steps (a few L_g
 *                     batches after every step) instead of running before them ([code]: off)
 * @param epochs       L_g runs in the first this many epochs only (0: in every epoch until it converges [code]);
 *                     1 makes L_g a pre-training of E before the first L_rec epoch
 * @param plainDegree  the negatives' log-uniform sampler ranks the nodes that have an edge by plain degree, as the
 *                     authors' code ([code]: on); off ranks every node by weighted degree
 */
public record GlobalSettings(int walksPerNode, int walkLength, int window, int negatives, int passes, int batchSize,
                             boolean lazyAdam, long maxBatches, double stopDelta, double lrScale, boolean logQ, boolean tie,
                             String center, boolean authorsStop, boolean interleave, int epochs, boolean plainDegree) {
    /** The settings with L_g on the run's own learning rate ([code]). */
    public GlobalSettings(int walksPerNode, int walkLength, int window, int negatives, int passes, int batchSize, boolean lazyAdam,
                          long maxBatches, double stopDelta) {
        this(walksPerNode, walkLength, window, negatives, passes, batchSize, lazyAdam, maxBatches, stopDelta, 1.0);
    }

    /** The authors' L_g ([code]) at {@code lrScale} times the run's schedule. */
    public GlobalSettings(int walksPerNode, int walkLength, int window, int negatives, int passes, int batchSize, boolean lazyAdam,
                          long maxBatches, double stopDelta, double lrScale) {
        this(walksPerNode, walkLength, window, negatives, passes, batchSize, lazyAdam, maxBatches, stopDelta, lrScale, true, false,
                "none", true, false, 0, false);
    }

    public static final java.util.List<String> CENTER_MODES = java.util.List.of("none", "grad", "pass");

    public GlobalSettings {
        if (walksPerNode < 1) throw new IllegalArgumentException("--walks-per-node: must be >= 1, got " + walksPerNode);
        if (walkLength < 2) throw new IllegalArgumentException("--walk-length: must be >= 2, got " + walkLength);
        if (window < 1) throw new IllegalArgumentException("--window: must be >= 1, got " + window);
        if (negatives < 1) throw new IllegalArgumentException("--negatives: must be >= 1, got " + negatives);
        if (passes < 0) throw new IllegalArgumentException("--g-passes: must be >= 0, got " + passes);
        if (batchSize < 1) throw new IllegalArgumentException("--g-batch: must be >= 1, got " + batchSize);
        if (maxBatches < 0) throw new IllegalArgumentException("--g-max-batches: must be >= 0, got " + maxBatches);
        if (!(stopDelta >= 0)) throw new IllegalArgumentException("--g-stop-delta: must be >= 0, got " + stopDelta);
        if (!(lrScale > 0) || Double.isInfinite(lrScale)) throw new IllegalArgumentException("--g-lr-scale: must be a positive number, got " + lrScale);
        if (epochs < 0) throw new IllegalArgumentException("--g-epochs: must be >= 0, got " + epochs);
        if (!CENTER_MODES.contains(center)) throw new IllegalArgumentException("--g-center: unknown mode '" + center + "'; known: none, grad, pass");
    }

    /** The same settings with the L_g remedies given. */
    public GlobalSettings withRemedies(double lrScale, boolean logQ, boolean tie, String center, boolean interleave, int epochs) {
        return new GlobalSettings(walksPerNode, walkLength, window, negatives, passes, batchSize, lazyAdam, maxBatches, stopDelta, lrScale,
                logQ, tie, center, authorsStop, interleave, epochs, plainDegree);
    }

    /** The settings that change what L_g does to E, in one line (printed at the start of a joint run). */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append(tie ? "theta tied to E" : "separate theta");
        b.append(logQ ? ", log-Q correction" : ", no log-Q correction");
        if (!center.equals("none")) b.append(", centred (").append(center).append(')');
        b.append(epochs == 0 ? ", every epoch until converged" : epochs == 1 ? ", pre-training (epoch 1 only)" : ", epochs 1-" + epochs);
        if (interleave) b.append(", interleaved with L_rec");
        if (lrScale != 1) b.append(", rate x").append(lrScale);
        b.append(plainDegree ? ", sampler by plain degree" : ", sampler by weighted degree");
        return b.toString();
    }

    /** Whether L_g trains in (1-based) epoch {@code e}. */
    public boolean activeIn(int e) {
        return epochs == 0 || e <= epochs;
    }

    /** Batches in one pass over {@code pairsPerPass} pairs (with {@code maxBatches}, at most that many). */
    public long batchesPerPass(long pairsPerPass) {
        long b = (pairsPerPass + batchSize - 1) / batchSize;
        return maxBatches > 0 ? Math.min(b, maxBatches) : b;
    }

    /** The paper's settings. */
    public static GlobalSettings paper() {
        return new GlobalSettings(13, 50, 8, 512, 2, 8192, false, 0, 5e-4);
    }
}
