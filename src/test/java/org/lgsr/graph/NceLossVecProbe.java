package org.lgsr.graph;

import jdk.incubator.vector.FloatVector;
import org.lgsr.model.cpu.Vec;

/** Test access to the vector helpers of {@link NceLossVec} (load only when Simd is available). */
final class NceLossVecProbe {
    private NceLossVecProbe() {
    }

    static void log1p(float[] u, float[] out) {
        NceLossVec.log1p01(FloatVector.fromArray(Vec.SPECIES, u, 0)).intoArray(out, 0);
    }
}
