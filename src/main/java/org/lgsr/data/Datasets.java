package org.lgsr.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named datasets. {@code synth} is the embedded synthetic default; {@code yoochoose64},
 * {@code yoochoose4} and {@code diginetica} are folders under the data root, which is
 * {@code --data-root} if given, else the environment variable {@code LGSR_DATA}, else
 * {@code ./data}. A path to a folder in the dataset layout works as a name too.
 */
public final class Datasets {
    public static final String SYNTH = "synth";
    /** Name to folder under the data root. */
    public static final Map<String, String> FOLDERS = new LinkedHashMap<>();

    static {
        FOLDERS.put("yoochoose64", "yoochoose1_64");
        FOLDERS.put("yoochoose4", "yoochoose1_4");
        FOLDERS.put("diginetica", "diginetica");
    }

    private Datasets() {
    }

    /** The data root: the flag, then {@code LGSR_DATA}, then {@code ./data}. */
    public static Path dataRoot(Path flag) {
        if (flag != null) return flag;
        String env = System.getenv("LGSR_DATA");
        if (env != null && !env.isBlank()) return Paths.get(env);
        return Paths.get("data");
    }

    public static String knownNames() {
        return SYNTH + ", " + String.join(", ", FOLDERS.keySet());
    }

    /** Loads a dataset by name (or folder path); {@code synth} is generated with the default seed. */
    public static SessionDataset load(String name, Path dataRootFlag) {
        if (name.equals(SYNTH)) return SyntheticData.generate(SyntheticData.Config.defaults());
        return DatasetLoader.load(name, locate(name, dataRootFlag));
    }

    /**
     * Where dataset {@code name} lives (null for {@code synth}), without reading it: a bad name or
     * a missing folder fails here, before any training starts, in one line.
     */
    public static Path locate(String name, Path dataRootFlag) {
        if (name == null || name.isBlank()) {
            throw new DataException("--dataset: empty name; known: " + knownNames());
        }
        if (name.equals(SYNTH)) return null;
        String folder = FOLDERS.get(name);
        if (folder == null) {
            // also accept the folder names themselves (yoochoose1_64) and paths
            if (FOLDERS.containsValue(name)) {
                folder = name;
            } else {
                Path p = Paths.get(name);
                if (Files.isDirectory(p)) return p;
                if (name.contains("/") || name.startsWith(".") || name.startsWith("~")) {
                    throw new DataException("--dataset: folder " + p.toAbsolutePath().normalize()
                            + (Files.exists(p) ? " is a file, not a folder" : " does not exist"));
                }
                throw new DataException("--dataset: unknown dataset '" + name + "'; known: " + knownNames() + ", or a folder path");
            }
        }
        Path root = dataRoot(dataRootFlag);
        Path dir = root.resolve(folder);
        if (!Files.isDirectory(dir)) {
            throw new DataException("dataset '" + name + "': folder " + dir.toAbsolutePath().normalize()
                    + " not found (set --data-root or LGSR_DATA to the folder holding " + folder + "/)");
        }
        return dir;
    }
}
