package org.lgsr.cli;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import org.lgsr.data.DataException;
import org.lgsr.model.Checkpoint;
import org.lgsr.report.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a saved LGSR module's item embeddings (rows of E, item ids 1 .. n): w2v (word2vec text, as gensim's "
                + "KeyedVectors.load_word2vec_format reads it), npy (float32 (n + 1) x d, row 0 the padding), or tsv (id, then d values).")
final class ExportCommand implements Runnable {
    @Option(names = "--model", required = true, paramLabel = "CKPT", description = "A checkpoint (best.lgsr or epoch-N.lgsr).")
    Path model;

    @Option(names = "--format", required = true, paramLabel = "FORMAT", description = "w2v, npy or tsv.")
    String format;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "The file to write (whole or not at all).")
    Path output;

    @Override
    public void run() {
        if (!format.equals("w2v") && !format.equals("npy") && !format.equals("tsv")) {
            throw new IllegalArgumentException("--format: unknown format '" + format + "'; known: w2v, npy, tsv");
        }
        OutputPaths.checkWritable(output, "--output");
        Checkpoint c = Checkpoint.read(model);
        c.lgsrModule(model, "export"); // a neural model's tables are not E
        float[] e = c.itemEmbeddings();
        int d = c.model().dim(), rows = c.model().numItems();
        try {
            AtomicFiles.write(output, out -> {
                switch (format) {
                    case "npy" -> writeNpy(out, e, rows, d);
                    default -> {
                        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
                        if (format.equals("w2v")) w.write((rows - 1) + " " + d + "\n");
                        StringBuilder line = new StringBuilder();
                        for (int r = 1; r < rows; r++) {
                            line.setLength(0);
                            line.append(r);
                            char sep = format.equals("w2v") ? ' ' : '\t';
                            for (int k = 0; k < d; k++) line.append(sep).append(Float.toString(e[r * d + k]));
                            w.write(line.append('\n').toString());
                        }
                        w.flush();
                    }
                }
            });
        } catch (IOException ex) {
            throw new DataException(output + ": cannot write (" + ex.getMessage() + ")");
        }
        System.out.printf(Locale.ROOT, "%s: %d item embeddings of %d floats (%s) from %s, epoch %d%n", output, rows - 1, d, format, model, c.epoch());
    }

    /** NumPy's .npy version 1.0: magic, header (dtype little-endian float32, C order, shape), 64-byte aligned, then the data. */
    static void writeNpy(java.io.OutputStream out, float[] data, int rows, int cols) throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int pad = 64 - (10 + dict.length() + 1) % 64;
        String header = dict + " ".repeat(pad % 64) + "\n";
        ByteBuffer h = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        h.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        out.write(h.array());
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        ByteBuffer b = ByteBuffer.allocate(4 * cols).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows; r++) {
            b.clear();
            b.asFloatBuffer().put(data, r * cols, cols);
            out.write(b.array());
        }
    }
}
