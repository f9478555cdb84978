package org.lgsr.util;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Runs independent tasks 0..n-1 on a private ForkJoinPool (or inline with 1 thread). Callers
 * split work so that every output element is written by exactly one task in a fixed order, so
 * results do not depend on the thread count.
 */
public final class Parallel implements AutoCloseable {
    private final int threads;
    private final ForkJoinPool pool;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    public int threads() {
        return threads;
    }

    public void forEach(int n, IntConsumer task) {
        if (pool == null || n == 1) {
            for (int i = 0; i < n; i++) task.accept(i);
        } else {
            pool.submit(() -> IntStream.range(0, n).parallel().forEach(task)).join();
        }
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
