package org.lgsr.model;

/** Which recommendation module is built (MODEL.md section 2, "Variants"). */
public enum Variant {
    /** LGSR-C: the full module: s_f = W_3 [f_t ; s_l] with the attentive aggregation layer. */
    LGSR_C,
    /** LGSR-A: no aggregation layer: s_f = W_3 f_t with W_3 of shape d x d. */
    LGSR_A;

    /** Width of the vector that W_3 maps to d: 2d for LGSR-C, d for LGSR-A. */
    public int catDim(int d) {
        return this == LGSR_C ? 2 * d : d;
    }
}
