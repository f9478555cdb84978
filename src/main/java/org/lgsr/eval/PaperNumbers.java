package org.lgsr.eval;

import java.util.Map;

/** Table 2 of the paper: P@20 and MRR@20 in percent, by method and dataset. */
public final class PaperNumbers {
    public record Pair(double p20, double mrr20) {
    }

    private static final Map<String, Map<String, Pair>> TABLE2 = Map.of(
            "pop", Map.of("yoochoose64", new Pair(6.71, 1.65), "yoochoose4", new Pair(1.33, 0.30), "diginetica", new Pair(0.89, 0.20)),
            "spop", Map.of("yoochoose64", new Pair(30.44, 18.35), "yoochoose4", new Pair(27.08, 17.75), "diginetica", new Pair(21.06, 13.68)),
            "itemknn", Map.of("yoochoose64", new Pair(51.60, 21.81), "yoochoose4", new Pair(52.31, 21.70), "diginetica", new Pair(35.75, 11.57)),
            "sr-gnn", Map.of("yoochoose64", new Pair(70.57, 30.94), "yoochoose4", new Pair(71.36, 31.89), "diginetica", new Pair(50.73, 17.59)),
            "lgsr", Map.of("yoochoose64", new Pair(71.97, 31.29), "yoochoose4", new Pair(72.23, 31.39), "diginetica", new Pair(53.77, 18.88)));

    private PaperNumbers() {
    }

    /** The published pair, or null when the paper has none for this method and dataset. */
    public static Pair get(String method, String dataset) {
        Map<String, Pair> m = TABLE2.get(method);
        return m == null ? null : m.get(dataset);
    }
}
