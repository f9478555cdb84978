package org.lgsr;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Where the tests find the shared benchmark data ({@code ../shared/data} beside the project). */
public final class TestData {
    private TestData() {
    }

    public static Path root() {
        String env = System.getenv("LGSR_DATA");
        if (env != null && Files.isDirectory(Paths.get(env))) return Paths.get(env);
        return Paths.get("..", "shared", "data").toAbsolutePath().normalize();
    }

    public static Path dir(String name) {
        return root().resolve(name);
    }

    public static boolean has(String name) {
        return Files.isDirectory(dir(name));
    }
}
