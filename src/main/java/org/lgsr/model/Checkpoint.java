package org.lgsr.model;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import org.lgsr.data.DataException;
import org.lgsr.data.Samples;
import org.lgsr.data.SessionDataset;
import org.lgsr.model.neural.NeuralConfig;
import org.lgsr.model.neural.NeuralKind;
import org.lgsr.model.neural.NeuralLayout;
import org.lgsr.report.AtomicFiles;
import org.lgsr.report.Json;

/**
 * A trained model on disk (format: docs/checkpoint-format.md). A file is the magic
 * {@code LGSRCKPT}, the format version, and named sections, each with its length and CRC-32:
 * {@code config} (JSON: the model's shape, the run's configuration, the epoch, its metrics, the
 * dataset's fingerprint) and {@code params} (the recommendation module's flat parameter buffer,
 * float32 little-endian, laid out by {@link ParamLayout}: E, P, the attention, the FFN, the
 * aggregation, W3). Written to a temporary file and renamed; read back with every part checked:
 * a truncated or corrupt file, another version, or a model that does not fit the dataset is
 * one line naming the file and the problem.
 *
 * <p>For a resume the checkpoints of both engines add {@code adam.m} and {@code adam.v} (Adam's
 * moments, float32) and a {@code resume} entry in the config (the run's command line, Adam's step
 * count, the epochs done and the report's epoch rows so far). The random states need no room:
 * every random stream of a run is a function of the seed and the epoch or step.
 *
 * <p>A checkpoint holds either the LGSR module ({@link #model()}, format version 1) or a neural
 * model of {@code lgsr train --variant stamp|gru4rec|narm|srgnn|lgsr-h} ({@link #neural()}, its
 * flat buffer laid out by {@link NeuralLayout}, format version 2, which a reader of version 1
 * refuses in one line); the other of the two is null.
 */
public record Checkpoint(ModelConfig model, int epoch, Map<String, Object> config, Map<String, Object> dataset,
                         Map<String, Double> metrics, float[] params, float[] adamM, float[] adamV, Map<String, Object> resume,
                         Map<String, float[]> global, NeuralConfig neural) {
    /** The first 8 bytes of every checkpoint. */
    public static final byte[] MAGIC = "LGSRCKPT".getBytes(StandardCharsets.US_ASCII);
    /** The format version of a checkpoint of the LGSR module (unchanged since the first). */
    public static final int VERSION = 1;
    /** The format version of a checkpoint of a neural model: version 1's layout, the config's {@code model} describing a neural model. */
    public static final int VERSION_NEURAL = 2;

    public Checkpoint {
        if ((model == null) == (neural == null)) throw new IllegalArgumentException("checkpoint: exactly one of an LGSR module and a neural model");
        int n = model != null ? new ParamLayout(model).total() : new NeuralLayout(neural).total();
        if (params.length != n) {
            throw new IllegalArgumentException("checkpoint: " + params.length + " parameters for a model of " + n);
        }
        if ((adamM == null) != (adamV == null) || (adamM != null && (adamM.length != n || adamV.length != n))) {
            throw new IllegalArgumentException("checkpoint: Adam's moments must both be there, each of " + n + " values, or neither");
        }
        global = global == null ? Map.of() : Map.copyOf(global);
        for (String k : global.keySet()) {
            if (!org.lgsr.train.GlobalState.NAMES.contains(k)) throw new IllegalArgumentException("checkpoint: no global encoder table is called " + k);
        }
    }

    /** A checkpoint of the LGSR module. */
    public Checkpoint(ModelConfig model, int epoch, Map<String, Object> config, Map<String, Object> dataset, Map<String, Double> metrics,
                      float[] params, float[] adamM, float[] adamV, Map<String, Object> resume, Map<String, float[]> global) {
        this(model, epoch, config, dataset, metrics, params, adamM, adamV, resume, global, null);
    }

    /** A checkpoint of a neural model (Adam's moments, the resume entry and the global encoder's tables may be null). */
    public static Checkpoint neural(NeuralConfig neural, int epoch, Map<String, Object> config, Map<String, Object> dataset,
                                    Map<String, Double> metrics, float[] params, float[] adamM, float[] adamV, Map<String, Object> resume,
                                    Map<String, float[]> global) {
        return new Checkpoint(null, epoch, config, dataset, metrics, params, adamM, adamV, resume, global, neural);
    }

    /** A checkpoint with the state of a resume, without the global encoder's. */
    public Checkpoint(ModelConfig model, int epoch, Map<String, Object> config, Map<String, Object> dataset, Map<String, Double> metrics,
                      float[] params, float[] adamM, float[] adamV, Map<String, Object> resume) {
        this(model, epoch, config, dataset, metrics, params, adamM, adamV, resume, null);
    }

    /** A checkpoint without the state a resume needs. */
    public Checkpoint(ModelConfig model, int epoch, Map<String, Object> config, Map<String, Object> dataset, Map<String, Double> metrics,
                      float[] params) {
        this(model, epoch, config, dataset, metrics, params, null, null, null, null, null);
    }

    /** Whether this checkpoint holds a neural model ({@link #neural()}) rather than the LGSR module. */
    public boolean isNeural() {
        return neural != null;
    }

    /** The format version of this checkpoint's file. */
    public int version() {
        return neural != null ? VERSION_NEURAL : VERSION;
    }

    /** Item ids 0 .. numItems - 1 of the model (0 is padding). */
    public int numItems() {
        return model != null ? model.numItems() : neural.numItems();
    }

    /** Items of a session's prefix the model reads. */
    public int maxLen() {
        return model != null ? model.maxLen() : neural.maxLen();
    }

    /**
     * The model's name for output lines: the run's variant where the checkpoint names it (lgsr-h for SR-GNN's module
     * trained with the global encoder), else the LGSR variant or the neural model's kind.
     */
    public String label() {
        Object v = config == null ? null : config.get("variant");
        if (v instanceof String s && !s.isEmpty()) return s;
        return model != null ? model.variant().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') : neural.kind().cliName;
    }

    /**
     * The LGSR module this checkpoint holds; a neural model's checkpoint is refused in one line naming {@code file}
     * and saying that {@code command} works on the LGSR module only.
     */
    public ModelConfig lgsrModule(Path file, String command) {
        if (model == null) {
            throw new DataException(file + ": a checkpoint of a neural model (" + label() + "); lgsr " + command
                    + " works on the LGSR module only (--variant lgsr-c, lgsr, lgsr-a)");
        }
        return model;
    }

    /** Whether this checkpoint holds what resuming its run needs (Adam's moments and the run's state). */
    public boolean resumable() {
        return adamM != null && resume != null;
    }

    /** The dataset's fingerprint: name, item count, sample counts and a CRC-32 of the samples. */
    public static Map<String, Object> fingerprint(SessionDataset ds) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("name", ds.name());
        f.put("numItems", ds.numItems());
        f.put("trainSamples", ds.train().size());
        f.put("testSamples", ds.test().size());
        CRC32 crc = new CRC32();
        for (Samples s : new Samples[] {ds.train(), ds.test()}) {
            update(crc, s.inputs().offsets());
            update(crc, s.inputs().items());
            update(crc, s.targets());
        }
        f.put("samplesCrc32", Long.toHexString(crc.getValue()));
        return f;
    }

    private static void update(CRC32 crc, int[] a) {
        ByteBuffer b = ByteBuffer.allocate(4 * Math.min(a.length, 1 << 16)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < a.length; ) {
            b.clear();
            int n = Math.min(a.length - i, b.capacity() / 4);
            b.asIntBuffer().put(a, i, n);
            crc.update(b.array(), 0, 4 * n);
            i += n;
        }
    }

    /** The item embeddings: rows 1 .. numItems - 1 of E (row 0 is padding), {@code numItems x dim}. */
    public float[] itemEmbeddings() {
        if (model == null) throw new IllegalStateException("a neural model's checkpoint: its item tables are laid out by NeuralLayout");
        ParamLayout L = new ParamLayout(model);
        float[] e = new float[L.E.size()];
        System.arraycopy(params, L.E.offset(), e, 0, e.length);
        return e;
    }

    /** Throws a one-line {@link DataException} unless this model fits {@code ds} (same item count and fingerprint). */
    public void checkFits(SessionDataset ds, Path file) {
        if (ds.numItems() != numItems()) {
            throw new DataException(file + ": the model has " + (numItems() - 1) + " items, dataset " + ds.name() + " has "
                    + (ds.numItems() - 1) + ": it was trained on another dataset (" + dataset.get("name") + ")");
        }
        Object want = dataset.get("samplesCrc32"), got = fingerprint(ds).get("samplesCrc32");
        if (want != null && !want.equals(got)) {
            throw new DataException(file + ": dataset " + ds.name() + " is not the one the model was trained on (its samples' CRC-32 is "
                    + got + ", the model's " + want + ")");
        }
    }

    // ------------------------------------------------------------------ writing

    /** Writes this checkpoint to {@code file} (whole or not at all). */
    public void write(Path file) {
        Map<String, Object> cfg = new LinkedHashMap<>();
        int version = version();
        cfg.put("format", "lgsr checkpoint " + version);
        cfg.put("model", model != null ? modelMap(model) : neuralMap(neural));
        cfg.put("epoch", epoch);
        cfg.put("train", config);
        cfg.put("dataset", dataset);
        cfg.put("metrics", metrics);
        if (resume != null) cfg.put("resume", resume);
        byte[] json = Json.toJson(cfg).getBytes(StandardCharsets.UTF_8);
        try {
            AtomicFiles.write(file, out -> {
                DataOutputStream d = new DataOutputStream(out);
                d.write(MAGIC);
                d.writeInt(version);
                d.writeInt((adamM == null ? 2 : 4) + global.size());
                section(d, "config", json);
                section(d, "params", floats(params));
                if (adamM != null) {
                    section(d, "adam.m", floats(adamM));
                    section(d, "adam.v", floats(adamV));
                }
                for (String k : org.lgsr.train.GlobalState.NAMES) {
                    if (global.containsKey(k)) section(d, "lg." + k, floats(global.get(k)));
                }
                d.flush();
            });
        } catch (IOException e) {
            throw new DataException(file + ": cannot write the checkpoint (" + e.getMessage() + ")");
        }
    }

    private static byte[] floats(float[] a) {
        ByteBuffer b = ByteBuffer.allocate(4 * a.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(a);
        return b.array();
    }

    private static float[] floats(byte[] b, int n, Path file, String name) {
        if (b.length != 4L * n) throw new DataException(file + ": corrupt checkpoint (" + b.length / 4 + " values in section " + name + ", not " + n + ")");
        float[] a = new float[n];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(a);
        return a;
    }

    private static void section(DataOutputStream d, String name, byte[] data) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        d.writeShort(n.length);
        d.write(n);
        d.writeLong(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        d.writeInt((int) crc.getValue());
        d.write(data);
    }

    private static Map<String, Object> modelMap(ModelConfig m) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("numItems", m.numItems());
        r.put("dim", m.dim());
        r.put("maxLen", m.maxLen());
        r.put("dropout", (double) m.dropout());
        r.put("lambda2", (double) m.lambda2());
        r.put("variant", m.variant().name());
        r.put("hardSigmoid", m.hardSigmoid());
        return r;
    }

    /** A neural model's description: {@code kind} (its cliName) is the key no version-1 model has, and it has no {@code variant}. */
    private static Map<String, Object> neuralMap(NeuralConfig m) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("kind", m.kind().cliName);
        r.put("numItems", m.numItems());
        r.put("dim", m.dim());
        r.put("hidden", m.hidden());
        r.put("maxLen", m.maxLen());
        r.put("lambda2", (double) m.lambda2());
        if (m.code()) r.put("code", true); // NARM's code form (absent: the paper's form, as in files before it)
        return r;
    }

    // ------------------------------------------------------------------ reading

    /** Reads and checks {@code file}; every problem is one line naming the file. */
    @SuppressWarnings("unchecked")
    public static Checkpoint read(Path file) {
        Map<String, byte[]> sections = new LinkedHashMap<>();
        int version;
        try (InputStream in = Files.newInputStream(file)) {
            DataInputStream d = new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16));
            byte[] magic = new byte[MAGIC.length];
            d.readFully(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) throw new DataException(file + ": not an lgsr checkpoint (no LGSRCKPT at its start)");
            version = d.readInt();
            if (version != VERSION && version != VERSION_NEURAL) {
                throw new DataException(file + ": checkpoint format version " + version + "; this lgsr reads versions " + VERSION + " and "
                        + VERSION_NEURAL);
            }
            int count = d.readInt();
            if (count < 1 || count > 64) throw new DataException(file + ": corrupt checkpoint (" + count + " sections)");
            for (int s = 0; s < count; s++) {
                int nameLen = d.readUnsignedShort();
                if (nameLen > 64) throw new DataException(file + ": corrupt checkpoint (a section name of " + nameLen + " bytes)");
                byte[] name = new byte[nameLen];
                d.readFully(name);
                String key = new String(name, StandardCharsets.UTF_8);
                long len = d.readLong();
                if (len < 0 || len > Integer.MAX_VALUE - 8) throw new DataException(file + ": corrupt checkpoint (section " + key + " of " + len + " bytes)");
                int want = d.readInt();
                byte[] data = new byte[(int) len];
                d.readFully(data);
                CRC32 crc = new CRC32();
                crc.update(data);
                if ((int) crc.getValue() != want) throw new DataException(file + ": corrupt checkpoint (section " + key + " fails its CRC-32 check)");
                if (!key.equals("config") && !key.equals("params") && !key.equals("adam.m") && !key.equals("adam.v")
                        && !(key.startsWith("lg.") && org.lgsr.train.GlobalState.NAMES.contains(key.substring(3)))) {
                    throw new DataException(file + ": checkpoint section '" + key + "' is not part of format version " + version);
                }
                if (sections.put(key, data) != null) throw new DataException(file + ": corrupt checkpoint (section " + key + " twice)");
            }
            if (d.read() != -1) throw new DataException(file + ": corrupt checkpoint (bytes after the last section)");
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": no such file");
        } catch (EOFException e) {
            throw new DataException(file + ": truncated checkpoint (the file ends inside it)");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")");
        }
        for (String need : new String[] {"config", "params"}) {
            if (!sections.containsKey(need)) throw new DataException(file + ": corrupt checkpoint (no " + need + " section)");
        }
        Map<String, Object> cfg;
        ModelConfig model = null;
        NeuralConfig neural = null;
        try {
            cfg = Json.fromJson(new String(sections.get("config"), StandardCharsets.UTF_8), Map.class);
            Map<String, Object> m = (Map<String, Object>) cfg.get("model");
            if (version == VERSION) {
                model = new ModelConfig(num(m, "numItems"), num(m, "dim"), num(m, "maxLen"), ((Number) m.get("dropout")).floatValue(),
                        ((Number) m.get("lambda2")).floatValue(), Variant.valueOf((String) m.get("variant")), (Boolean) m.get("hardSigmoid"));
            } else {
                Object kind = m.get("kind");
                NeuralKind k = kind instanceof String s ? NeuralKind.byName(s) : null;
                if (k == null) throw new IllegalArgumentException("no neural model kind" + (kind == null ? "" : " '" + kind + "'"));
                neural = new NeuralConfig(k, num(m, "numItems"), num(m, "dim"), num(m, "hidden"), num(m, "maxLen"),
                        ((Number) m.get("lambda2")).floatValue(), Boolean.TRUE.equals(m.get("code")));
            }
        } catch (RuntimeException e) {
            throw new DataException(file + ": corrupt checkpoint (its config section does not describe a" + (version == VERSION ? "n LGSR" : " neural")
                    + " model: " + e.getMessage() + ")");
        }
        byte[] pb = sections.get("params");
        int n = model != null ? new ParamLayout(model).total() : new NeuralLayout(neural).total();
        if (pb.length != 4L * n) {
            throw new DataException(file + ": corrupt checkpoint (" + pb.length / 4 + " parameters for a "
                    + (model != null ? model.variant() : neural.kind().cliName) + " model of " + n + ")");
        }
        float[] params = floats(pb, n, file, "params");
        if (sections.containsKey("adam.m") != sections.containsKey("adam.v")) {
            throw new DataException(file + ": corrupt checkpoint (one of Adam's two moments without the other)");
        }
        float[] m = sections.containsKey("adam.m") ? floats(sections.get("adam.m"), n, file, "adam.m") : null;
        float[] v = sections.containsKey("adam.v") ? floats(sections.get("adam.v"), n, file, "adam.v") : null;
        Map<String, float[]> global = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> s : sections.entrySet()) {
            if (!s.getKey().startsWith("lg.")) continue;
            byte[] b = s.getValue();
            if (b.length % 4 != 0) throw new DataException(file + ": corrupt checkpoint (section " + s.getKey() + " is not whole floats)");
            global.put(s.getKey().substring(3), floats(b, b.length / 4, file, s.getKey()));
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        Object mm = cfg.get("metrics");
        if (mm instanceof Map<?, ?> map) map.forEach((k, val) -> metrics.put(String.valueOf(k), ((Number) val).doubleValue()));
        return new Checkpoint(model, num(cfg, "epoch"), (Map<String, Object>) cfg.getOrDefault("train", Map.of()),
                (Map<String, Object>) cfg.getOrDefault("dataset", Map.of()), metrics, params, m, v, (Map<String, Object>) cfg.get("resume"),
                global, neural);
    }

    private static int num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException("no number " + key);
        return n.intValue();
    }

}
