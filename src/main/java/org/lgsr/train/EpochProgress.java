package org.lgsr.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of one epoch on stderr: a progress bar on an interactive terminal; where the output
 * is a file or a pipe (a log, CI), a plain line at most every {@link #LOG_INTERVAL_SECONDS}
 * seconds with the samples done, the rate, the running loss and the time left, so that a long
 * epoch is never silent in a log.
 */
final class EpochProgress implements AutoCloseable {
    /** Seconds between two progress lines when stderr is not a terminal. */
    static final int LOG_INTERVAL_SECONDS = 30;

    private final ProgressBar bar;
    private final String task;
    private final String unit;
    private final long total;
    private final PrintStream log;
    private final LongSupplier nanos;
    private final long intervalNanos;
    private final long start;
    private long lastLine;

    EpochProgress(String task, long total) {
        this(task, "samples", total, System.console() != null, System.err, System::nanoTime, LOG_INTERVAL_SECONDS * 1_000_000_000L);
    }

    /** Progress of {@code total} units of {@code unit} ("batches", say), as above. */
    EpochProgress(String task, String unit, long total) {
        this(task, unit, total, System.console() != null, System.err, System::nanoTime, LOG_INTERVAL_SECONDS * 1_000_000_000L);
    }

    /** {@code terminal}: draw a bar; else lines on {@code log} every {@code intervalNanos} of {@code nanos}. */
    EpochProgress(String task, String unit, long total, boolean terminal, PrintStream log, LongSupplier nanos, long intervalNanos) {
        this.task = task;
        this.unit = unit;
        this.total = total;
        this.log = log;
        this.nanos = nanos;
        this.intervalNanos = intervalNanos;
        this.start = nanos.getAsLong();
        this.lastLine = start;
        bar = !terminal ? null
                : new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(250).showSpeed().setUnit(" " + unit, 1).continuousUpdate()
                        .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).build();
    }

    void update(long done, double loss) {
        if (bar != null) {
            bar.stepTo(done);
            if (!Double.isNaN(loss)) bar.setExtraMessage(String.format(" loss %.4f", loss));
            return;
        }
        long now = nanos.getAsLong();
        if (now - lastLine < intervalNanos || done >= total) return;
        lastLine = now;
        double seconds = (now - start) / 1e9, rate = seconds > 0 ? done / seconds : 0;
        String left = rate > 0 ? String.format(Locale.ROOT, ", about %s left", duration((total - done) / rate)) : "";
        String lossText = Double.isNaN(loss) ? "" : String.format(Locale.ROOT, ", loss %.4f", loss);
        log.printf(Locale.ROOT, "%s: %,d of %,d %s (%.0f%%), %,.0f %s/s%s%s%n", task, done, total, unit,
                100.0 * done / Math.max(1, total), rate, unit, lossText, left);
        log.flush();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + " s";
        if (s < 3600) return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
