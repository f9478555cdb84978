package org.lgsr.gpu.bench;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.lgsr.engine.Buf;
import org.lgsr.engine.GpuBackend;
import org.lgsr.engine.RecStep;
import org.lgsr.gpu.CudaEvent;
import org.lgsr.model.Batch;
import org.lgsr.model.DropoutMasks;
import org.lgsr.model.ModelConfig;
import org.lgsr.model.Parameters;

/**
 * The engine's kernels at yoochoose1_64's shapes (n = 37484 item ids, d = 100, max_len 19, batch
 * 512; L_g batches of 8192 pairs and 512 negatives), each against the two floors of the
 * device's method (FLOPs over the FP32 matrix rate, bytes over the copy bandwidth), both
 * ceilings measured in this same run: a 1 GiB device-to-device copy and a 4096^3 FP32 sgemm.
 * Times are CUDA events per launch (GpuBackend's profiling), summed over 50 training steps
 * after 5 warm-up steps, on random batches (lengths 1..19, random items), never zeros.
 * Usage: java -cp lgsr.jar org.lgsr.gpu.bench.EngineBench [JSON-OUT]
 */
public final class EngineBench {
    private EngineBench() {
    }

    public static void main(String[] args) throws IOException {
        Path json = args.length > 0 ? Path.of(args[0]) : null;
        int n = 37484, d = 100, T = 19, B = 512, steps = 50;
        Map<String, Object> out = new LinkedHashMap<>();
        try (GpuBackend be = new GpuBackend(0, false, true)) {
            out.put("device", be.name());
            // ceilings
            double copyGBs, fp32TFs;
            {
                long f = 1L << 28;
                Buf a = be.floats(f), b = be.floats(f);
                be.random(a, 11, 1);
                double ms = GpuBench.medianMillis(be.stream(), () -> be.copy(b, a));
                copyGBs = 8.0 * f / (ms * 1e6);
                int s = 4096;
                Buf x = be.floats((long) s * s), y = be.floats((long) s * s), z = be.floats((long) s * s);
                be.random(x, 11, 2);
                be.random(y, 11, 3);
                double gm = GpuBench.medianMillis(be.stream(), () -> be.gemm(false, false, s, s, s, 1f, x, s, y, s, 0f, z, s));
                fp32TFs = 2.0 * s * s * s / (gm * 1e9);
                be.profile();
            }
            out.put("copy_GB_per_s", copyGBs);
            out.put("sgemm_fp32_TFLOP_per_s", fp32TFs);

            ModelConfig cfg = new ModelConfig(n, d, T, 0.3f, 1e-6f, org.lgsr.model.Variant.LGSR_C, true);
            RecStep rec = new RecStep(be, cfg, B);
            rec.setParameters(Parameters.init(cfg, 1).w);
            SplittableRandom r = new SplittableRandom(System.nanoTime());
            Batch[] batches = new Batch[8];
            for (int i = 0; i < batches.length; i++) {
                Batch bt = new Batch(B, T);
                bt.B = B;
                for (int b = 0; b < B; b++) {
                    int len = 1 + Math.min(T - 1, (int) (-Math.log(1 - r.nextDouble()) * 4));
                    bt.len[b] = len;
                    bt.target[b] = 1 + r.nextInt(n - 1);
                    for (int k = 0; k < len; k++) {
                        bt.items[b * T + k] = 1 + r.nextInt(n - 1);
                        bt.pos[b * T + k] = len - k;
                    }
                }
                batches[i] = bt;
            }
            for (int i = 0; i < 5; i++) rec.trainStep(batches[i % 8], DropoutMasks.stepSeed(1, i), 1e-3);
            rec.drainLosses();
            be.profile();
            long t0 = System.nanoTime();
            try (CudaEvent a = new CudaEvent(); CudaEvent b = new CudaEvent()) {
                a.record(be.stream());
                for (int i = 0; i < steps; i++) rec.trainStep(batches[i % 8], DropoutMasks.stepSeed(1, 100 + i), 1e-3);
                b.record(be.stream());
                double stepMs = b.millisSince(a) / steps;
                out.put("train_step_ms", stepMs);
                out.put("host_step_ms", (System.nanoTime() - t0) / 1e6 / steps);
                out.put("yoochoose64_epoch_s_estimate", stepMs * 723 / 1e3);
            }
            rec.drainLosses();
            Map<String, double[]> prof = be.profile();
            // evaluation: forward + ranks
            long e0 = System.nanoTime();
            for (int i = 0; i < 20; i++) rec.ranks(batches[i % 8]);
            out.put("eval_batch_ms", (System.nanoTime() - e0) / 1e6 / 20);
            Map<String, double[]> evalProf = be.profile();
            evalProf.forEach((k, v) -> prof.merge("eval " + k, v, (x, y) -> x));

            Map<String, Object> rows = new LinkedHashMap<>();
            System.out.printf(Locale.ROOT, "device %s: copy %.0f GB/s, sgemm FP32 %.1f TFLOP/s (measured here)%n", be.name(), copyGBs, fp32TFs);
            System.out.printf(Locale.ROOT, "%-44s %7s %10s %9s %8s %10s %8s%n", "kernel (per training step unless eval)", "calls", "ms/step",
                    "GFLOP/s", "GB/s", "floor ms", "x floor");
            for (Map.Entry<String, double[]> e : prof.entrySet()) {
                double[] v = e.getValue();
                boolean eval = e.getKey().startsWith("eval ");
                double per = eval ? 20 : steps;
                double ms = v[0] / per;
                double fl = v.length > 2 ? v[2] / per : 0, by = v.length > 3 ? v[3] / per : 0;
                double floor = Math.max(fl / (fp32TFs * 1e9), by / (copyGBs * 1e6));
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("calls_per_step", v[1] / per);
                row.put("ms_per_step", ms);
                row.put("GFLOP_per_s", fl > 0 ? fl / (ms * 1e6) : null);
                row.put("GB_per_s", by > 0 ? by / (ms * 1e6) : null);
                row.put("floor_ms", floor);
                rows.put(e.getKey(), row);
                System.out.printf(Locale.ROOT, "%-44s %7.1f %10.4f %9s %8s %10s %8s%n", e.getKey(), v[1] / per, ms,
                        fl > 0 ? String.format(Locale.ROOT, "%.0f", fl / (ms * 1e6)) : "-", by > 0 ? String.format(Locale.ROOT, "%.0f", by / (ms * 1e6)) : "-",
                        floor > 0 ? String.format(Locale.ROOT, "%.4f", floor) : "-", floor > 0 ? String.format(Locale.ROOT, "%.1f", ms / floor) : "-");
            }
            out.put("kernels", rows);

            // L_g on yoochoose1_64 when the data is there: walk generation, then 200 batches of a pass
            try {
                org.lgsr.data.SessionDataset ds = org.lgsr.data.Datasets.load("yoochoose64", null);
                ModelConfig c2 = new ModelConfig(ds.numItems(), d, T, 0.3f, 1e-6f, org.lgsr.model.Variant.LGSR_C, true);
                RecStep rec2 = new RecStep(be, c2, B);
                rec2.setParameters(Parameters.init(c2, 1).w);
                org.lgsr.train.GlobalSettings gs = new org.lgsr.train.GlobalSettings(13, 50, 8, 512, 2, 8192, false, 200, 5e-4);
                be.profile();
                long g0 = System.nanoTime();
                org.lgsr.engine.GlobalStep g = new org.lgsr.engine.GlobalStep(be, rec2, ds.trainSessions(), ds.numItems(), gs, 1);
                double setup = (System.nanoTime() - g0) / 1e9;
                be.profile();
                org.lgsr.graph.GlobalEncoder.PassStats ps = g.pass(1e-3, null);
                Map<String, double[]> gp = be.profile();
                long pairs = ((Number) g.info().get("pairsPerPass")).longValue();
                double perBatch = ps.seconds() / ps.batches();
                Map<String, Object> lg = new LinkedHashMap<>(g.info());
                lg.put("setup_s", setup);
                lg.put("batch_ms", perBatch * 1e3);
                lg.put("pass_s_estimate", perBatch * Math.ceil(pairs / 8192.0));
                Map<String, Object> kk = new LinkedHashMap<>();
                gp.forEach((k, v) -> kk.put(k, Map.of("ms_per_batch", v[0] / ps.batches(), "calls_per_batch", v[1] / ps.batches())));
                lg.put("kernels", kk);
                out.put("lg_yoochoose64", lg);
                System.out.printf(Locale.ROOT, "L_g yoochoose64: setup (graph, alias, walks on the device) %.2f s; %.3f ms per batch of 8192 pairs; "
                        + "a pass (%d pairs) ~%.1f s%n", setup, perBatch * 1e3, pairs, perBatch * Math.ceil(pairs / 8192.0));
                gp.forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-40s %8.4f ms/batch%n", k, v[0] / ps.batches()));
            } catch (RuntimeException e) {
                out.put("lg_yoochoose64", "skipped: " + e.getMessage());
                System.out.println("L_g yoochoose64: skipped: " + e.getMessage());
            }
        }
        String text = new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(out);
        if (json != null) Files.writeString(json, text);
    }
}
