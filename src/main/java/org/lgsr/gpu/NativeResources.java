package org.lgsr.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The native pieces packed in the jar under {@code native/linux-x86_64/} by the build
 * (CMakeLists.txt): the kernels' fatbin, the JNI library, and the simulated device's library
 * (every kernel compiled for the CPU).
 */
public final class NativeResources {
    static final String FOLDER = "/native/linux-x86_64/";
    static final String FATBIN = FOLDER + "lgsr_kernels.fatbin";
    static final String JNI_LIBRARY = FOLDER + "liblgsr_native.so";
    /** The simulated device: every cuda/*.cu built for the CPU with the sim runtime (native/sim). */
    public static final String SIM_LIBRARY = FOLDER + "liblgsr_sim.so";

    private NativeResources() {
    }

    public static boolean present(String resource) {
        return NativeResources.class.getResource(resource) != null;
    }

    /** The resource's bytes; null when the jar has none. */
    static byte[] read(String resource) {
        try (InputStream in = NativeResources.class.getResourceAsStream(resource)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new CudaException("reading " + resource + " from the jar failed: " + e.getMessage());
        }
    }

    /** Copies the resource to a new temporary file (deleted at exit) and returns it; null when absent. */
    public static Path extract(String resource) {
        byte[] bytes = read(resource);
        if (bytes == null) return null;
        try {
            String name = resource.substring(resource.lastIndexOf('/') + 1);
            int dot = name.indexOf('.');
            Path f = Files.createTempFile(name.substring(0, dot) + "-", name.substring(dot));
            f.toFile().deleteOnExit();
            Files.write(f, bytes);
            return f;
        } catch (IOException e) {
            throw new CudaException("extracting " + resource + " to a temporary file failed: " + e.getMessage());
        }
    }

    /**
     * Loads a JNI library: the file {@code $override} names when that variable is set, else
     * {@code resource} extracted from the jar; null when loaded, else one line saying why not
     * ({@code builtWithout}: what a jar lacking the resource was built without).
     */
    public static String loadLibrary(String resource, String override, String builtWithout) {
        try {
            String o = override == null ? null : System.getenv(override);
            Path lib = o != null && !o.isBlank() ? Path.of(o) : extract(resource);
            if (lib == null) return "this jar has no " + resource.substring(resource.lastIndexOf('/') + 1) + ": it was built without " + builtWithout;
            System.load(lib.toAbsolutePath().toString());
            return null;
        } catch (UnsatisfiedLinkError | CudaException e) {
            return "loading " + resource.substring(resource.lastIndexOf('/') + 1) + " failed: "
                    + String.valueOf(e.getMessage()).strip().replaceAll("\\s*\\n\\s*", "; ");
        }
    }
}
