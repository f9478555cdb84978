package org.lgsr.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.lgsr.data.Samples;

/**
 * The one evaluator of every model: scores all items for each sample, ranks the target with
 * {@link Ranking} and accumulates P@K and MRR@K. Ranking runs on several threads; scoring does
 * too when the scorer says it is thread-safe.
 */
public final class Evaluator {
    private final int[] ks;
    private final int threads;

    public Evaluator(int[] ks, int threads) {
        this.ks = ks.clone();
        this.threads = Math.max(1, threads);
    }

    public Evaluator(int... ks) {
        this(ks, Runtime.getRuntime().availableProcessors());
    }

    /** The cut-offs K evaluated. */
    public int[] ks() {
        return ks.clone();
    }

    public Metrics evaluate(BatchScorer scorer, Samples samples) {
        int n = scorer.numItems();
        for (int i = 0; i < samples.size(); i++) {
            int t = samples.targets()[i];
            if (t < 1 || t >= n) {
                throw new IllegalArgumentException("target " + t + " of sample " + i + " is outside the scored items 1.." + (n - 1));
            }
        }
        int batch = Math.max(1, scorer.batchSize());
        if (!scorer.threadSafe() || threads == 1) {
            return evaluateRange(scorer, samples, 0, samples.size(), batch, n, threads);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Metrics>> parts = new ArrayList<>();
            int per = (samples.size() + threads - 1) / threads;
            for (int t = 0; t < threads; t++) {
                int from = Math.min(samples.size(), t * per);
                int to = Math.min(samples.size(), from + per);
                parts.add(pool.submit(() -> evaluateRange(scorer, samples, from, to, batch, n, 1)));
            }
            Metrics total = new Metrics(ks);
            for (Future<Metrics> f : parts) total.merge(f.get());
            return total;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("evaluation interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Scores in batches on this thread; ranks each batch's rows on {@code rankThreads} threads. */
    private Metrics evaluateRange(BatchScorer scorer, Samples samples, int from, int to, int batch, int n, int rankThreads) {
        Metrics m = new Metrics(ks);
        float[] out = new float[batch * n];
        int[] targets = samples.targets();
        for (int first = from; first < to; first += batch) {
            int count = Math.min(batch, to - first);
            scorer.score(samples, first, count, out);
            int f = first;
            if (rankThreads > 1 && count > 1) {
                int[] ranks = new int[count];
                java.util.stream.IntStream.range(0, count).parallel()
                        .forEach(r -> ranks[r] = Ranking.rank(out, r * n, n, targets[f + r]));
                for (int r : ranks) m.add(r);
            } else {
                for (int r = 0; r < count; r++) m.add(Ranking.rank(out, r * n, n, targets[f + r]));
            }
        }
        return m;
    }
}
