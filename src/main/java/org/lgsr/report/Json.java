package org.lgsr.report;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.file.Path;
import org.lgsr.data.DataException;

/** JSON reports, written atomically (temporary file, then rename). */
public final class Json {
    // numbers read into maps and lists stay whole where they were written whole (an epoch is 1, not 1.0)
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .disableHtmlEscaping().setObjectToNumberStrategy(com.google.gson.ToNumberPolicy.LONG_OR_DOUBLE).create();

    private Json() {
    }

    public static String toJson(Object o) {
        return GSON.toJson(o);
    }

    public static <T> T fromJson(String s, Class<T> type) {
        return GSON.fromJson(s, type);
    }

    public static void write(Path file, Object value) {
        try {
            AtomicFiles.write(file, out -> {
                java.io.Writer w = new java.io.OutputStreamWriter(out, java.nio.charset.StandardCharsets.UTF_8);
                GSON.toJson(value, w);
                w.write('\n');
                w.flush();
            });
        } catch (IOException e) {
            throw new DataException(file + ": cannot write the report (" + e.getMessage() + ")");
        }
    }
}
