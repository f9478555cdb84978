package org.lgsr.eval;

import java.util.Map;

/** Table 2 of the paper: P@20 and MRR@20 in percent, by method and dataset. */
public final class PaperNumbers {
    public record Pair(double p20, double mrr20) {
    }

    private static final Map<String, Map<String, Pair>> TABLE2 = Map.ofEntries(
            Map.entry("pop", Map.of("yoochoose64", new Pair(6.71, 1.65), "yoochoose4", new Pair(1.33, 0.30), "diginetica", new Pair(0.89, 0.20))),
            Map.entry("spop", Map.of("yoochoose64", new Pair(30.44, 18.35), "yoochoose4", new Pair(27.08, 17.75), "diginetica", new Pair(21.06, 13.68))),
            Map.entry("itemknn", Map.of("yoochoose64", new Pair(51.60, 21.81), "yoochoose4", new Pair(52.31, 21.70), "diginetica", new Pair(35.75, 11.57))),
            Map.entry("gru4rec", Map.of("yoochoose64", new Pair(60.64, 22.89), "yoochoose4", new Pair(59.53, 22.60), "diginetica", new Pair(29.45, 8.33))),
            Map.entry("gru4rec-top1", Map.of("yoochoose64", new Pair(60.64, 22.89), "yoochoose4", new Pair(59.53, 22.60), "diginetica", new Pair(29.45, 8.33))),
            Map.entry("gru4rec-code", Map.of("yoochoose64", new Pair(60.64, 22.89), "yoochoose4", new Pair(59.53, 22.60), "diginetica", new Pair(29.45, 8.33))),
            Map.entry("narm", Map.of("yoochoose64", new Pair(68.32, 28.63), "yoochoose4", new Pair(69.73, 29.23), "diginetica", new Pair(49.70, 16.17))),
            Map.entry("narm-code", Map.of("yoochoose64", new Pair(68.32, 28.63), "yoochoose4", new Pair(69.73, 29.23), "diginetica", new Pair(49.70, 16.17))),
            Map.entry("stamp", Map.of("yoochoose64", new Pair(68.74, 29.67), "yoochoose4", new Pair(70.44, 30.00), "diginetica", new Pair(45.64, 14.32))),
            Map.entry("srgnn", Map.of("yoochoose64", new Pair(70.57, 30.94), "yoochoose4", new Pair(71.36, 31.89), "diginetica", new Pair(50.73, 17.59))),
            Map.entry("lgsr", Map.of("yoochoose64", new Pair(71.97, 31.29), "yoochoose4", new Pair(72.23, 31.39), "diginetica", new Pair(53.77, 18.88))));

    /** The methods of Table 2 in the paper's order (the keys of {@link #get}). */
    public static final java.util.List<String> METHODS = java.util.List.of("pop", "spop", "itemknn", "gru4rec", "narm", "stamp", "srgnn", "lgsr");

    private PaperNumbers() {
    }

    /** The published pair, or null when the paper has none for this method and dataset. */
    public static Pair get(String method, String dataset) {
        Map<String, Pair> m = TABLE2.get(method);
        return m == null ? null : m.get(dataset);
    }
}
