package org.lgsr.graph;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * A fixed set of worker threads that runs {@code tasks} independent tasks {@code 0..tasks-1}.
 * Callers split work so that every output element is written by exactly one task in a fixed
 * order, so results never depend on the number of threads.
 */
final class Parallel implements AutoCloseable {
    private final int threads;
    private final ForkJoinPool pool;

    Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = threads > 1 ? new ForkJoinPool(threads) : null;
    }

    int threads() {
        return threads;
    }

    void forEach(int tasks, IntConsumer task) {
        if (pool == null || tasks <= 1) {
            for (int i = 0; i < tasks; i++) task.accept(i);
            return;
        }
        pool.submit(() -> IntStream.range(0, tasks).parallel().forEach(task)).join();
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdown();
    }
}
