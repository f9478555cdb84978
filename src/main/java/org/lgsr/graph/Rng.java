package org.lgsr.graph;

/**
 * A counter-based stream of random numbers: SplitMix64 (Steele, Lea, Flood 2014) started from
 * a key. {@code Rng.keyed(seed, a, b)} gives the same stream for the same key on any thread,
 * which is how walks and negative samples stay independent of the thread count. Mutable, one
 * per worker; no allocation per number.
 */
final class Rng {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private long state;

    Rng(long seed) {
        this.state = seed;
    }

    /** The stream for key {@code (seed, a, b)}. */
    static long key(long seed, long a, long b) {
        return mix(mix(mix(seed) ^ (a * 0xD1B54A32D192ED03L)) ^ (b * 0xAEF17502108EF2D9L));
    }

    void reset(long key) {
        state = key;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    long nextLong() {
        return mix(state += GOLDEN);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound), bound > 0 (Lemire's multiply-shift with rejection). */
    int nextInt(int bound) {
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xFFFFFFFFL;
        if (low < bound) {
            long t = (0x100000000L - bound) % bound;
            while (low < t) {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /** Fisher-Yates shuffle of {@code a}. */
    void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
