package org.lgsr.train;

/**
 * The early-stop rule of L_g (MODEL.md 4), shared by both engines: once a pass's mean loss moves by at most
 * {@link GlobalSettings#stopDelta()} from the previous pass's, L_g is trained no more; with
 * {@link GlobalSettings#authorsStop()} (the authors' code) the test is consulted only at the start of the next
 * epoch, so the current epoch's remaining passes still run.
 */
public final class GlobalStopRule {
    private final GlobalSettings s;
    private double lastLoss = Double.NaN;
    private boolean converged;
    private boolean pending;

    public GlobalStopRule(GlobalSettings s) {
        this.s = s;
    }

    /** Records a finished pass's mean loss. */
    public void passEnded(double meanLoss) {
        if (!Double.isNaN(lastLoss) && Math.abs(meanLoss - lastLoss) <= s.stopDelta()) {
            if (s.authorsStop()) pending = true;
            else converged = true;
        }
        lastLoss = meanLoss;
    }

    /** The start of an epoch, where the authors' code reads its stop flag. */
    public void startEpoch() {
        if (pending) converged = true;
    }

    /** The rule's state for a checkpoint. */
    public java.util.Map<String, Object> state() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("lastLoss", Double.isNaN(lastLoss) ? null : lastLoss);
        m.put("converged", converged);
        m.put("stopPending", pending);
        return m;
    }

    /** Puts back a state from {@link #state()}. */
    public void restore(java.util.Map<String, Object> m) {
        lastLoss = m.get("lastLoss") instanceof Number n ? n.doubleValue() : Double.NaN;
        converged = Boolean.TRUE.equals(m.get("converged"));
        pending = Boolean.TRUE.equals(m.get("stopPending"));
    }

    /** Whether L_g is trained no more. */
    public boolean converged() {
        return converged;
    }

    /** Whether a pass has converged and L_g stops at the next epoch's start. */
    public boolean stopPending() {
        return pending && !converged;
    }
}
