package org.lgsr.cpu;

/**
 * Philox-4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
 * SC 2011), the counter-based generator of the kernels; CPU twin of {@code cuda/philox.cuh} and
 * {@code cuda/philox.cu}, equal to them bit for bit.
 *
 * <p>The project's streams: word {@code e} of stream {@code stream} under {@code seed} is word
 * {@code e % 4} of {@code philox4x32_10(counter = (lo(e/4), hi(e/4), lo(stream), hi(stream)),
 * key = (lo(seed), hi(seed)))}. A uniform float in [0, 1) is the top 24 bits of a word times
 * 2^-24 (exact). Any word of any stream is computed directly, with no state to carry.
 */
public final class Philox {
    static final int M0 = 0xD2511F53;
    static final int M1 = 0xCD9E8D57;
    static final int W0 = 0x9E3779B9;
    static final int W1 = 0xBB67AE85;

    private Philox() {
    }

    /** Ten rounds of Philox-4x32 on {@code counter} (4 words) with {@code key} (2 words); returns 4 words. */
    public static int[] philox4x32_10(int[] counter, int[] key) {
        if (counter.length != 4 || key.length != 2) {
            throw new IllegalArgumentException("Philox-4x32 needs 4 counter words and 2 key words, got "
                    + counter.length + " and " + key.length);
        }
        int[] out = new int[4];
        block(counter[0], counter[1], counter[2], counter[3], key[0], key[1], out);
        return out;
    }

    /** One Philox-4x32-10 block into {@code out[0..3]}. */
    static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** Word {@code index} of the stream (see the class comment). */
    public static int word(long seed, long stream, long index) {
        int[] r = new int[4];
        long b = index >>> 2;
        block((int) b, (int) (b >>> 32), (int) stream, (int) (stream >>> 32), (int) seed, (int) (seed >>> 32), r);
        return r[(int) (index & 3)];
    }

    /** A uniform float in [0, 1) from a word's top 24 bits: {@code (x >>> 8) * 2^-24}. */
    public static float toUniform(int word) {
        return (word >>> 8) * 0x1.0p-24f;
    }

    /** out[j] = word (offset + j) of the stream, for every j (twin of the kernel philox_bits). */
    public static void philoxBits(int[] out, long seed, long stream, long offset) {
        fill(out, null, seed, stream, offset);
    }

    /** out[j] = toUniform(word (offset + j)), for every j (twin of the kernel philox_uniform). */
    public static void philoxUniform(float[] out, long seed, long stream, long offset) {
        fill(null, out, seed, stream, offset);
    }

    private static void fill(int[] bits, float[] uniform, long seed, long stream, long offset) {
        int n = bits != null ? bits.length : uniform.length;
        if (n == 0) return;
        if (offset < 0) throw new IllegalArgumentException("Philox offset must be >= 0, got " + offset);
        int[] r = new int[4];
        long first = offset >>> 2, last = (offset + n - 1) >>> 2;
        for (long b = first; b <= last; b++) {
            block((int) b, (int) (b >>> 32), (int) stream, (int) (stream >>> 32), (int) seed, (int) (seed >>> 32), r);
            for (int w = 0; w < 4; w++) {
                long j = 4 * b + w - offset;
                if (j < 0 || j >= n) continue;
                if (bits != null) bits[(int) j] = r[w];
                else uniform[(int) j] = toUniform(r[w]);
            }
        }
    }
}
