package org.lgsr.model;

/** Learning rate as a function of the 0-based step (number of updates already applied). */
@FunctionalInterface
public interface LearningRate {
    double at(long step);

    static LearningRate constant(double lr) {
        return step -> lr;
    }

    /**
     * The reference schedule [code] (MODEL.md section 4): TF's exponential_decay with staircase,
     * {@code lr * 0.1^floor(step / decaySteps)} with {@code decaySteps = 0.1 * nTrain / 512}.
     */
    static LearningRate staircase(double lr, int nTrain) {
        return staircase(lr, 0.1 * nTrain / 512.0, 0.1);
    }

    static LearningRate staircase(double lr, double decaySteps, double rate) {
        if (!(decaySteps > 0)) throw new IllegalArgumentException("decaySteps must be > 0, got " + decaySteps);
        return step -> lr * Math.pow(rate, Math.floor(step / decaySteps));
    }
}
