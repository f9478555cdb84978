package org.lgsr.baselines;

import java.util.List;
import org.lgsr.data.DataException;
import org.lgsr.data.SessionDataset;
import org.lgsr.eval.BatchScorer;

/** The paper's simple baselines by name, and its Table 2 figures for them. */
public final class Baselines {
    public static final List<String> METHODS = List.of("pop", "spop", "itemknn");

    private Baselines() {
    }

    public static BatchScorer create(String method, SessionDataset ds) {
        return create(method, ds, false);
    }

    /** @param knnIncludeSelf Item-KNN only: also recommend the session's last item itself */
    public static BatchScorer create(String method, SessionDataset ds, boolean knnIncludeSelf) {
        return switch (method) {
            case "pop" -> new Pop(ds.trainSessions(), ds.numItems());
            case "spop" -> new SPop(ds.trainSessions(), ds.numItems());
            case "itemknn" -> new ItemKnn(ds.trainSessions(), ds.numItems(), knnIncludeSelf);
            default -> throw new DataException("--method: unknown baseline '" + method + "'; known: " + String.join(", ", METHODS));
        };
    }
}
