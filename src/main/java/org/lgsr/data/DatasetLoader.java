package org.lgsr.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Loads a dataset folder in the SR-GNN/LGSR layout ({@code train.txt}, {@code test.txt},
 * {@code all_train_seq.txt}).
 *
 * <p>Training samples are always derived from {@code all_train_seq.txt} by the rule of MODEL.md
 * section 1 ({@link Samples#fromSessions}): {@code train.txt} holds nothing more, and unpickling
 * its hundreds of thousands of memoized lists is many times slower. Only when
 * {@code all_train_seq.txt} is missing is {@code train.txt} read, and the sessions are rebuilt from
 * it ({@link Samples#toSessions}).
 */
public final class DatasetLoader {
    public static final String TRAIN = "train.txt";
    public static final String TEST = "test.txt";
    public static final String ALL_TRAIN_SEQ = "all_train_seq.txt";

    private DatasetLoader() {
    }

    public static SessionDataset load(String name, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new DataException("dataset '" + name + "': folder " + dir + " not found");
        }
        Map<String, String> sums = new LinkedHashMap<>();
        Path seqFile = dir.resolve(ALL_TRAIN_SEQ);
        Path trainFile = dir.resolve(TRAIN);
        Path testFile = dir.resolve(TEST);
        Sessions sessions;
        Samples train;
        if (Files.exists(seqFile)) {
            sessions = PickleIO.readSessions(seqFile);
            sums.put(ALL_TRAIN_SEQ, sha256(seqFile));
            train = Samples.fromSessions(sessions);
        } else if (Files.exists(trainFile)) {
            train = PickleIO.readSamples(trainFile);
            sums.put(TRAIN, sha256(trainFile));
            sessions = train.toSessions();
        } else {
            throw new DataException(dir + ": neither " + ALL_TRAIN_SEQ + " nor " + TRAIN + " is there");
        }
        if (train.size() == 0) {
            throw new DataException(dir + ": the training sessions yield no samples (every session has one item)");
        }
        if (!Files.exists(testFile)) {
            throw new DataException(testFile + ": file not found");
        }
        Samples test = PickleIO.readSamples(testFile);
        sums.put(TEST, sha256(testFile));
        if (test.size() == 0) {
            throw new DataException(testFile + ": holds no test samples");
        }
        int max = Math.max(sessions.maxItem(), test.inputs().maxItem());
        for (int t : test.targets()) max = Math.max(max, t);
        return new SessionDataset(name, dir.toString(), sessions, train, test, max + 1, sums);
    }

    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int r;
            while ((r = in.read(buf)) > 0) md.update(buf, 0, r);
            StringBuilder sb = new StringBuilder();
            for (byte b : md.digest()) sb.append(String.format("%02x", b));
            return sb.toString();
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + PickleIO.oneLine(e.getMessage()) + ")");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JDK", e);
        }
    }
}
