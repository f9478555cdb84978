package org.lgsr.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    /** A report gets the permissions any new file gets here (the umask), not the temporary file's owner-only 0600. */
    @Test
    void reportsHaveTheUsualPermissions() throws IOException {
        Path plain = Files.createFile(dir.resolve("plain"));
        Set<PosixFilePermission> usual = Files.getPosixFilePermissions(plain);
        Path report = dir.resolve("sub/run.json");
        Json.write(report, Map.of("a", 1));
        assertEquals(usual, Files.getPosixFilePermissions(report), "report permissions");
        assertTrue(Files.readString(report).contains("\"a\": 1"), Files.readString(report));
    }

    /** A failing write leaves the old file as it was and no temporary file. */
    @Test
    void aFailedWriteLeavesNothingHalfWritten() throws IOException {
        Path f = dir.resolve("data.txt");
        Files.writeString(f, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write("new, half".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("old", Files.readString(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left");
        }
        AtomicFiles.write(f, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));
        assertEquals("new", Files.readString(f));
    }
}
