package org.lgsr.bench;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.lgsr.data.Datasets;
import org.lgsr.data.SessionDataset;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time to load a named dataset (pickles to compact arrays, training samples derived), cold
 * JVM per fork and single-shot, as a user meets it. Run with
 * {@code java -Xmx300m -jar ... } through {@code scripts/bench.sh load}; the data root comes
 * from {@code LGSR_DATA}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 5, jvmArgsAppend = {"-Xmx300m"})
@Warmup(iterations = 0)
@Measurement(iterations = 1)
public class DatasetLoadBench {
    @Param({"diginetica", "yoochoose64"})
    public String dataset;

    @Benchmark
    public SessionDataset load() {
        return Datasets.load(dataset, (Path) null);
    }
}
