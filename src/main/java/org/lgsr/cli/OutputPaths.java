package org.lgsr.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/** Checks, before any work, that a file the run will write at its end can be written. */
final class OutputPaths {
    private OutputPaths() {
    }

    /**
     * Creates {@code file}'s folder when it is missing (true when it did) and checks that a file
     * can be created there (a probe file, removed at once). Fails in one line naming {@code what},
     * the path and the system's reason.
     */
    static boolean checkWritable(Path file, String what) {
        Path abs = file.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        boolean created = false;
        try {
            if (Files.isDirectory(abs)) throw new IllegalArgumentException(what + ": " + abs + " is a folder; give a file name");
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                created = true;
            }
            Path probe = Files.createTempFile(dir, ".lgsr-write-check", ".tmp");
            Files.delete(probe);
            if (Files.exists(abs) && !Files.isWritable(abs)) throw new AccessDeniedException(abs.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot write " + abs + " (" + reason(e) + ")");
        }
        return created;
    }

    /** The system's reason in words, without Java's exception names. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException a) return "permission denied: " + a.getFile();
        if (e instanceof NoSuchFileException n) return "no such file or folder: " + n.getFile();
        if (e instanceof NotDirectoryException n) return "not a folder: " + n.getFile();
        if (e instanceof java.nio.file.FileAlreadyExistsException f) return "a file is in the way: " + f.getFile();
        if (e instanceof FileSystemException f) return (f.getReason() != null ? f.getReason().toLowerCase(java.util.Locale.ROOT) : "cannot write") + ": " + f.getFile();
        return String.valueOf(e.getMessage());
    }

    /**
     * Refuses to write data into {@code dir} when it holds anything (unless {@code force}), and
     * always when the files would replace a named dataset of the data root ({@code $LGSR_DATA} or
     * ./data): {@code targets} are the folders (relative to {@code dir}, "" for dir itself) the
     * command writes.
     */
    static void checkDataOutput(Path dir, boolean force, String flag, java.util.List<String> targets) {
        checkDataOutput(dir, force, flag, targets, org.lgsr.data.Datasets.dataRoot(null));
    }

    /** {@link #checkDataOutput(Path, boolean, String, java.util.List)} with the data root given. */
    static void checkDataOutput(Path dir, boolean force, String flag, java.util.List<String> targets, Path dataRoot) {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) throw new IllegalArgumentException(flag + ": " + abs + " is a file, not a folder");
        Path root = dataRoot.toAbsolutePath().normalize();
        for (String t : targets) {
            Path target = t.isEmpty() ? abs : abs.resolve(t).normalize();
            for (String named : org.lgsr.data.Datasets.FOLDERS.values()) {
                Path namedDir = root.resolve(named);
                if (target.equals(namedDir) && Files.isDirectory(namedDir)) {
                    throw new IllegalArgumentException(flag + ": " + target + " is the data root's " + named
                            + " dataset; lgsr never writes over it (choose another folder)");
                }
            }
        }
        if (!force && Files.isDirectory(abs)) {
            try (java.util.stream.Stream<Path> s = Files.list(abs)) {
                if (s.findAny().isPresent()) {
                    throw new IllegalArgumentException(flag + ": folder " + abs + " is not empty; --force writes into it (replacing its files)");
                }
            } catch (IOException e) {
                throw new IllegalArgumentException(flag + ": cannot read " + abs + " (" + reason(e) + ")");
            }
        }
    }
}
