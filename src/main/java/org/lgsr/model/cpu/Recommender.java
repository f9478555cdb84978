package org.lgsr.model.cpu;

import java.util.ArrayList;
import java.util.List;
import org.lgsr.data.Samples;
import org.lgsr.data.Sessions;
import org.lgsr.model.Parameters;

/** Scores sessions with a saved model and keeps the top K of each (CPU). */
public final class Recommender implements AutoCloseable {
    private final BatchedScorer scorer;
    private final int numItems;
    private float[] buf = new float[0];

    /** A recommender over parameters {@code p} of a model {@code cfg}: up to {@code batch} sessions per call. */
    public Recommender(org.lgsr.model.ModelConfig cfg, Parameters p, int batch, int threads) {
        this.scorer = new CpuScorer(cfg, p, batch, threads);
        this.numItems = cfg.numItems();
    }

    /** A recommender over the parameters {@code p} of a neural model {@code cfg} (STAMP, GRU4Rec, NARM, SR-GNN); {@code p} must not change. */
    public Recommender(org.lgsr.model.neural.NeuralConfig cfg, org.lgsr.model.neural.NeuralParameters p, int batch, int threads) {
        this.scorer = new NeuralScorer(cfg, p, batch, threads);
        this.numItems = cfg.numItems();
    }

    /** Top {@code k} items and scores of each session (an empty session gets none). */
    public void recommend(List<int[]> sessions, int k, boolean excludeSeen, int[][] items, float[][] scores) {
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < sessions.size(); i++) {
            if (sessions.get(i).length > 0) rows.add(i);
            else {
                items[i] = new int[0];
                scores[i] = new float[0];
            }
        }
        if (rows.isEmpty()) return;
        int[] offsets = new int[rows.size() + 1];
        int total = 0;
        for (int r = 0; r < rows.size(); r++) {
            total += sessions.get(rows.get(r)).length;
            offsets[r + 1] = total;
        }
        int[] flat = new int[total];
        for (int r = 0; r < rows.size(); r++) System.arraycopy(sessions.get(rows.get(r)), 0, flat, offsets[r], offsets[r + 1] - offsets[r]);
        int[] targets = new int[rows.size()];
        java.util.Arrays.fill(targets, 1);
        Samples s = new Samples(new Sessions(offsets, flat), targets);
        if (buf.length < rows.size() * numItems) buf = new float[rows.size() * numItems];
        scorer.score(s, 0, rows.size(), buf);
        for (int r = 0; r < rows.size(); r++) {
            int i = rows.get(r);
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            if (excludeSeen) for (int id : sessions.get(i)) seen.add(id);
            int kk = Math.min(k, numItems - 1 - seen.size());
            int[] top = new int[kk];
            float[] sc = new float[kk];
            int filled = 0;
            int base = r * numItems;
            for (int j = 1; j < numItems; j++) {
                if (excludeSeen && seen.contains(j)) continue;
                float v = buf[base + j];
                if (filled == kk && !(v > sc[kk - 1])) continue; // ties keep the lower id, already in
                int at = filled == kk ? kk - 1 : filled++;
                while (at > 0 && v > sc[at - 1]) {
                    sc[at] = sc[at - 1];
                    top[at] = top[at - 1];
                    at--;
                }
                sc[at] = v;
                top[at] = j;
            }
            items[i] = top;
            scores[i] = sc;
        }
    }

    @Override
    public void close() {
        scorer.close();
    }
}
