package org.lgsr.engine;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.lgsr.cpu.Adam;
import org.lgsr.cpu.Walks;
import org.lgsr.data.Sessions;
import org.lgsr.graph.AliasTable;
import org.lgsr.graph.GlobalEncoder;
import org.lgsr.graph.ItemGraph;
import org.lgsr.graph.Negatives;
import org.lgsr.graph.RandomWalks;
import org.lgsr.graph.SkipGramPairs;
import org.lgsr.train.GlobalSettings;
import org.lgsr.train.TrainingEngine;

/**
 * The L_g side of joint training on a {@link Backend} (MODEL.md 3; what the CPU engine's
 * {@code GlobalPhase} + {@code GlobalEncoder} compute, batch for batch): the item graph's alias
 * tables go to the backend once, the walk corpus is generated there ({@code random_walks}) and
 * compacted, and each pass forms its skip-gram pairs there ({@code skipgram_pairs}) from the
 * pass's walk order. Per batch the host sends only the 512 negative ids and their log Q; the
 * loss, the gradients of E (its own buffer), theta and bias, and the dense Adam updates (TF's,
 * own moments for E, one step count) stay on the backend. The shared table E is the
 * recommendation module's own, inside its flat parameter buffer.
 */
public final class GlobalStep implements TrainingEngine.Global, AutoCloseable {
    private final Backend be;
    private final GlobalSettings s;
    private final long seed;
    private final int d, n;
    private final Buf E, gE, mE, vE, theta, gTheta, mTheta, vTheta, bias, gBias, mBias, vBias;
    private final Buf walkOffsets, walkItems, order, prefix, inputs, labels, rankOfItem, batchLoss;
    private final int[] walkOffsetsHost;
    private final int numWalks;
    private final long totalSteps;
    private final long pairsPerPass;
    private final Negatives negatives;
    private final double logRange;
    private final int[] sampled;
    private final float[] sampledLogQ;
    private final Map<String, Object> info = new LinkedHashMap<>();
    private long step;
    private int passes;
    private final org.lgsr.train.GlobalStopRule stopRule;

    public GlobalStep(Backend backend, RecStep rec, Sessions trainSessions, int numItems, GlobalSettings s, long seed) {
        long t0 = System.nanoTime();
        if (s.lazyAdam()) throw new IllegalArgumentException("the engine implements the dense Adam of L_g only (TF's); lazy is CPU-only");
        if (s.interleave()) throw new IllegalArgumentException("--g-interleave: the GPU engine runs L_g in whole passes only; interleaving runs on the CPU engine");
        if (!s.center().equals("none")) {
            throw new IllegalArgumentException("--g-center " + s.center() + ": the GPU engine does not centre E; centring runs on the CPU engine");
        }
        this.be = backend;
        this.s = s;
        this.stopRule = new org.lgsr.train.GlobalStopRule(s);
        this.seed = seed;
        this.d = rec.layout().d;
        this.n = numItems;
        be.push("global_setup");
        ItemGraph graph = ItemGraph.build(trainSessions, numItems);
        AliasTable alias = AliasTable.of(graph);
        int[] starts = RandomWalks.starts(graph, new RandomWalks.Config(s.walksPerNode(), s.walkLength(), seed, 1));
        numWalks = starts.length;
        int L = s.walkLength();
        int[] offs = graph.offsets();
        Buf csr = be.ints(offs.length);
        be.upload(csr, offs, 0, offs.length);
        int edges = offs[offs.length - 1];
        int[] tg = graph.targets();
        Buf targets = be.ints(Math.max(1, edges));
        be.upload(targets, tg, 0, edges);
        double[] pr = alias.prob();
        int[] al = alias.alias();
        Buf prob = be.doubles(Math.max(1, pr.length));
        be.upload(prob, pr, 0, pr.length);
        Buf aliasB = be.ints(Math.max(1, al.length));
        be.upload(aliasB, al, 0, al.length);
        Buf startsB = be.ints(numWalks);
        be.upload(startsB, starts, 0, numWalks);
        Buf slots = be.ints((long) numWalks * L);
        Buf lengths = be.ints(numWalks);
        be.randomWalks(csr, targets, prob, aliasB, startsB, numWalks, graph.numNodes(), L, seed, slots, lengths);
        int[] len = new int[numWalks];
        be.download(lengths, len, 0, numWalks);
        walkOffsetsHost = Walks.walkOffsets(len, 0, numWalks);
        totalSteps = walkOffsetsHost[numWalks];
        walkOffsets = be.ints(numWalks + 1);
        be.upload(walkOffsets, walkOffsetsHost, 0, numWalks + 1);
        walkItems = be.ints(Math.max(1, totalSteps));
        be.compactWalks(slots, lengths, walkOffsets, numWalks, L, walkItems);
        be.pop();
        order = be.ints(numWalks);
        prefix = be.longs(numWalks + 1);
        int batch = s.batchSize();
        inputs = be.ints(batch);
        labels = be.ints(batch);
        long pairs = 0; // the same in every pass, whatever its walk order
        for (int w = 0; w < numWalks; w++) pairs += Walks.pairsBefore(len[w], len[w], s.window());
        pairsPerPass = pairs;
        batchLoss = be.doubles(Math.max(1, (pairsPerPass + batch - 1) / batch));

        negatives = new Negatives(graph, s.negatives(), true, seed, s.plainDegree());
        logRange = negatives.sampler().logRange();
        int[] rk = negatives.rankOfItem(numItems);
        rankOfItem = be.ints(numItems);
        be.upload(rankOfItem, rk, 0, numItems);
        sampled = new int[s.negatives()];
        sampledLogQ = new float[s.negatives()];

        long nd = (long) numItems * d;
        E = rec.w.view(rec.layout().E.offset(), nd);
        gE = be.floats(nd);
        mE = be.floats(nd);
        vE = be.floats(nd);
        // tied (--g-tie on): the output table is E itself and its gradient E's; theta has no Adam of its own
        theta = s.tie() ? E : be.floats(nd);
        gTheta = s.tie() ? gE : be.floats(nd);
        mTheta = s.tie() ? null : be.floats(nd);
        vTheta = s.tie() ? null : be.floats(nd);
        bias = be.floats(numItems);
        gBias = be.floats(numItems);
        mBias = be.floats(numItems);
        vBias = be.floats(numItems);
        for (Buf b : new Buf[] {gE, mE, vE, gTheta, mTheta, vTheta, bias, gBias, mBias, vBias}) {
            if (b != null) be.fill(b, 0f);
        }
        if (!s.tie()) {
            float[] th = new float[Math.toIntExact(nd)];
            GlobalEncoder.initialTheta(th, d, seed);
            be.upload(theta, th, 0, th.length);
        }
        be.sync();
        info.put("nodes", graph.numNodes());
        info.put("edges", graph.numEdges());
        info.put("walks", numWalks);
        info.put("walkSteps", totalSteps);
        info.put("pairsPerPass", pairsPerPass);
        info.put("setupSeconds", (System.nanoTime() - t0) / 1e9);
        info.put("walksOn", be.name());
    }

    @Override
    public Map<String, Object> info() {
        return info;
    }

    @Override
    public boolean converged() {
        return stopRule.converged();
    }

    @Override
    public long batchesPerPass() {
        return s.batchesPerPass(pairsPerPass);
    }

    @Override
    public boolean stopPending() {
        return stopRule.stopPending();
    }

    @Override
    public void startEpoch() {
        stopRule.startEpoch();
    }

    @Override
    public Map<String, Object> health() {
        float[] e = new float[Math.toIntExact(E.length())];
        be.download(E, e, 0, e.length);
        float[] b = new float[n];
        be.download(bias, b, 0, n);
        return org.lgsr.graph.TableHealth.report(e, 0, s.tie() ? e : theta(), 0, b, n, d);
    }

    @Override
    public GlobalEncoder.PassStats pass(double lr, BooleanSupplier stop) {
        long t0 = System.nanoTime();
        int p = passes++;
        be.push("lg_pass");
        int[] ord = SkipGramPairs.passOrder(numWalks, seed, p);
        long[] pre = Walks.pairPrefix(walkOffsetsHost, ord, s.window());
        be.upload(order, ord, 0, numWalks);
        be.upload(prefix, pre, 0, numWalks + 1);
        long total = pre[numWalks];
        long maxBatches = s.maxBatches() > 0 ? s.maxBatches() : Long.MAX_VALUE;
        int bs = s.batchSize();
        long batches = 0, count = 0;
        int ns = s.negatives();
        for (long first = 0; first < total && batches < maxBatches; first += bs) {
            int c = (int) Math.min(bs, total - first);
            step++;
            be.skipgramPairs(walkOffsets, walkItems, order, prefix, numWalks, first, c, s.window(), inputs, labels);
            int tries = negatives.draw(step, sampled, sampledLogQ);
            if (!s.logQ()) java.util.Arrays.fill(sampledLogQ, 0f);
            be.nceStep(d, E, gE, theta, gTheta, bias, gBias, inputs, labels, c, sampled, sampledLogQ, ns, tries, rankOfItem, logRange, true,
                    s.logQ(), batchLoss.view(batches, 1));
            float b1 = Adam.DEFAULT_BETA1, b2 = Adam.DEFAULT_BETA2, eps = Adam.DEFAULT_EPSILON;
            float lrT = Adam.learningRate(lr, b1, b2, step);
            if (!s.tie()) be.adam(theta, gTheta, mTheta, vTheta, theta.length(), lrT, b1, b2, eps);
            be.adam(bias, gBias, mBias, vBias, bias.length(), lrT, b1, b2, eps);
            be.adam(E, gE, mE, vE, E.length(), lrT, b1, b2, eps);
            be.fill(gE, 0f);
            if (!s.tie()) be.fill(gTheta, 0f);
            be.fill(gBias, 0f);
            batches++;
            count += c;
            if (stop != null && stop.getAsBoolean()) break;
        }
        double[] losses = new double[(int) batches];
        if (batches > 0) be.download(batchLoss.view(0, batches), losses, 0, (int) batches);
        be.pop();
        double sum = 0;
        for (double x : losses) sum += x;
        double mean = batches == 0 ? 0 : sum / batches;
        stopRule.passEnded(mean);
        return new GlobalEncoder.PassStats(mean, count, batches, (System.nanoTime() - t0) * 1e-9);
    }

    @Override
    public org.lgsr.train.GlobalState state() {
        Map<String, float[]> a = new LinkedHashMap<>();
        a.put("eM", host(mE));
        a.put("eV", host(vE));
        if (!s.tie()) {
            a.put("theta", host(theta));
            a.put("thetaM", host(mTheta));
            a.put("thetaV", host(vTheta));
        }
        a.put("bias", host(bias));
        a.put("biasM", host(mBias));
        a.put("biasV", host(vBias));
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("passes", passes);
        c.put("encoderSteps", step);
        c.put("eAdamSteps", step);
        c.put("stopRule", stopRule.state());
        return new org.lgsr.train.GlobalState(a, c);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void restore(org.lgsr.train.GlobalState st) {
        Map<String, float[]> a = st.arrays();
        java.util.List<String> names = new java.util.ArrayList<>(java.util.List.of("eM", "eV", "bias", "biasM", "biasV"));
        if (!s.tie()) names.addAll(java.util.List.of("theta", "thetaM", "thetaV"));
        Buf[] bufs = {mE, vE, bias, mBias, vBias, theta, mTheta, vTheta};
        for (int i = 0; i < names.size(); i++) {
            float[] x = a.get(names.get(i));
            if (x == null || x.length != bufs[i].length()) {
                throw new IllegalArgumentException("checkpoint: the global encoder's table " + names.get(i) + " is missing or of another size");
            }
            be.upload(bufs[i], x, 0, x.length);
        }
        Object steps = st.counters().get("encoderSteps"), p = st.counters().get("passes");
        if (!(steps instanceof Number) || !(p instanceof Number)) throw new IllegalArgumentException("checkpoint: the global encoder's counters are missing");
        step = ((Number) steps).longValue();
        passes = ((Number) p).intValue();
        stopRule.restore((Map<String, Object>) st.counters().getOrDefault("stopRule", Map.of()));
        be.sync();
    }

    private float[] host(Buf b) {
        float[] h = new float[Math.toIntExact(b.length())];
        be.download(b, h, 0, h.length);
        return h;
    }

    /** theta, the output table (host copy; for tests). */
    public float[] theta() {
        float[] h = new float[Math.toIntExact(theta.length())];
        be.download(theta, h, 0, h.length);
        return h;
    }

    @Override
    public void close() {
        // buffers belong to the backend
    }
}
