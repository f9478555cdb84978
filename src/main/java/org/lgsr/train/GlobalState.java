package org.lgsr.train;

import java.util.Map;

/**
 * What resuming a run needs of its global encoder (L_g): its float tables by name (E's own Adam
 * moments; theta, the bias and their moments) and its counters (passes done, Adam steps, the
 * early-stop rule's state). A checkpoint keeps the tables as sections {@code lg.NAME} and the
 * counters in its resume entry. Every random stream of L_g is keyed by the seed and the pass or
 * step, so the counters restore them too.
 */
public record GlobalState(Map<String, float[]> arrays, Map<String, Object> counters) {
    /** The tables' names, in the order a checkpoint writes them. */
    public static final java.util.List<String> NAMES = java.util.List.of("eM", "eV", "theta", "thetaM", "thetaV", "bias", "biasM", "biasV");

    static long count(Map<String, Object> c, String key) {
        Object v = c.get(key);
        if (!(v instanceof Number n)) throw new IllegalArgumentException("checkpoint: the global encoder's state has no " + key);
        return n.longValue();
    }

    static float[] array(Map<String, float[]> a, String name, long length) {
        float[] x = a.get(name);
        if (x == null || x.length != length) {
            throw new IllegalArgumentException("checkpoint: the global encoder's table " + name + " is missing or of another size");
        }
        return x;
    }
}
