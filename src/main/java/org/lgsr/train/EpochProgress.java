package org.lgsr.train;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar for one epoch on an interactive terminal (stderr); nothing when the output is
 * a file or a pipe, where the epoch lines are the record.
 */
final class EpochProgress implements AutoCloseable {
    private final ProgressBar bar;

    EpochProgress(String task, long total) {
        bar = System.console() == null ? null
                : new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(250).showSpeed().setUnit(" samples", 1).continuousUpdate()
                        .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).build();
    }

    void update(long done, double loss) {
        if (bar != null) {
            bar.stepTo(done);
            bar.setExtraMessage(String.format(" loss %.4f", loss));
        }
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
