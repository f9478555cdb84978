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

    /**
     * A schedule by name, for {@code --lr-schedule}: {@code constant}; {@code reference} (MODEL.md
     * section 4: x0.1 every 0.1 epoch, {@code 0.1 * nTrain / 512} steps); {@code every:E} (x0.1
     * every E epochs of {@code nTrain / batch} steps, E may be fractional: {@code reference} is
     * {@code every:0.1} at batch 512).
     */
    static LearningRate byName(String name, double lr, int nTrain, int batch) {
        if (name.equals("constant")) return constant(lr);
        if (name.equals("reference")) return staircase(lr, nTrain);
        if (name.startsWith("every:")) {
            double epochs;
            try {
                epochs = Double.parseDouble(name.substring(6));
            } catch (NumberFormatException e) {
                epochs = Double.NaN;
            }
            if (!(epochs > 0)) throw new IllegalArgumentException("--lr-schedule: 'every:E' needs E > 0 epochs, got '" + name + "'");
            return staircase(lr, epochs * nTrain / batch, 0.1);
        }
        throw new IllegalArgumentException("--lr-schedule: unknown schedule '" + name + "'; known: constant, reference, every:E");
    }
}
