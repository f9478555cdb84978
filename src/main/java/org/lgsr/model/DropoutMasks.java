package org.lgsr.model;

/**
 * Inverted-dropout masks of one training step: each entry is 0 (dropped) or 1/(1-rate) (kept).
 * Counter-based, so any engine (CPU, CUDA) can regenerate an entry from its coordinates:
 * <pre>
 *   z    = mix64(seed + site * 0x9E3779B97F4A7C15 + index * 0xD1B54A32D192ED03)   (splitmix64 finalizer)
 *   u    = (z >>> 40) * 2^-24                                                     (24-bit uniform in [0,1))
 *   keep = u >= rate
 * </pre>
 * Sites and index layouts (T = maxLen, padded slots get entries too but never matter):
 * <pre>
 *   site 0  x     (B, T, d)   after the embedding + position sum
 *   site 1  attn  (B, T, T)   on the attention weights A
 *   site 2  ff1   (B, T, d)   after ReLU(S W1 + b1)
 *   site 3  ff2   (B, T, d)   after (.) W2 + b2
 *   site 4  cat   (B, c)      on [s_c ; s_l] (c = 2d) or f_t (c = d, LGSR-A) before W3
 * </pre>
 * The seed of a step is {@link #stepSeed}(runSeed, step).
 */
public final class DropoutMasks {
    public final float[] x, attn, ff1, ff2, cat;
    public final float rate;

    private DropoutMasks(float rate, float[] x, float[] attn, float[] ff1, float[] ff2, float[] cat) {
        this.rate = rate;
        this.x = x;
        this.attn = attn;
        this.ff1 = ff1;
        this.ff2 = ff2;
        this.cat = cat;
    }

    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public static long stepSeed(long runSeed, long step) {
        return mix64(runSeed * 0x632BE59BD9B4E019L + step);
    }

    public static boolean keep(long seed, int site, long index, float rate) {
        long z = mix64(seed + site * 0x9E3779B97F4A7C15L + index * 0xD1B54A32D192ED03L);
        float u = (z >>> 40) * 0x1p-24f;
        return u >= rate;
    }

    /** Fills {@code out} (reusable) with the mask of one site. */
    public static void fill(float[] out, int size, long seed, int site, float rate) {
        float scale = 1f / (1f - rate);
        for (int i = 0; i < size; i++) out[i] = keep(seed, site, i, rate) ? scale : 0f;
    }

    public static DropoutMasks allocate(int B, int T, int d, int catDim, float rate) {
        return new DropoutMasks(rate, new float[B * T * d], new float[B * T * T], new float[B * T * d], new float[B * T * d], new float[B * catDim]);
    }

    /** Masks for a batch of B rows. */
    public static DropoutMasks generate(long seed, int B, int T, int d, int catDim, float rate) {
        DropoutMasks m = allocate(B, T, d, catDim, rate);
        m.regenerate(seed, B, T, d, catDim);
        return m;
    }

    /** Refills this (allocated for at least B rows) for a new step. */
    public void regenerate(long seed, int B, int T, int d, int catDim) {
        fill(x, B * T * d, seed, 0, rate);
        fill(attn, B * T * T, seed, 1, rate);
        fill(ff1, B * T * d, seed, 2, rate);
        fill(ff2, B * T * d, seed, 3, rate);
        fill(cat, B * catDim, seed, 4, rate);
    }
}
