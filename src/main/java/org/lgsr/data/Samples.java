package org.lgsr.data;

/**
 * Next-item samples: {@code inputs.get(i)} is a session prefix (oldest item first) and
 * {@code targets[i]} the item that followed it.
 */
public record Samples(Sessions inputs, int[] targets) {

    public Samples {
        if (inputs.size() != targets.length) {
            throw new IllegalArgumentException("inputs and targets differ in number: " + inputs.size() + " vs " + targets.length);
        }
    }

    public int size() {
        return targets.length;
    }

    /**
     * The rule of MODEL.md section 1: for each session {@code s} in order and
     * {@code i = 1 .. len(s)-1}, input {@code s[:-i]}, target {@code s[-i]} (longest prefix first).
     */
    public static Samples fromSessions(Sessions sessions) {
        long nSamples = 0;
        long nItems = 0;
        for (int s = 0; s < sessions.size(); s++) {
            int len = sessions.length(s);
            if (len >= 2) {
                nSamples += len - 1;
                nItems += (long) len * (len - 1) / 2;
            }
        }
        if (nSamples > Integer.MAX_VALUE - 16 || nItems > Integer.MAX_VALUE - 16) {
            throw new DataException("too many samples to hold in memory: " + nSamples);
        }
        Sessions.Builder b = new Sessions.Builder((int) nSamples, (int) nItems);
        int[] targets = new int[(int) nSamples];
        int[] items = sessions.items();
        int k = 0;
        for (int s = 0; s < sessions.size(); s++) {
            int start = sessions.start(s);
            int len = sessions.length(s);
            for (int i = 1; i < len; i++) {
                b.add(items, start, len - i);
                targets[k++] = items[start + len - i];
            }
        }
        return new Samples(b.build(), targets);
    }

    /**
     * Inverse of {@link #fromSessions}: rebuilds the sessions behind samples that were made by
     * that rule (a new session starts wherever a sample is not the previous one shortened by its
     * last item). Used for datasets shipped without {@code all_train_seq.txt} and for the test
     * sessions behind {@code test.txt}.
     */
    public Sessions toSessions() {
        Sessions.Builder b = new Sessions.Builder(Math.max(16, size() / 3), (int) Math.min(Integer.MAX_VALUE - 16, inputs.totalItems() / 2 + 16));
        int[] items = inputs.items();
        int i = 0;
        while (i < size()) {
            int start = inputs.start(i);
            int len = inputs.length(i);
            b.addWith(items, start, len, targets[i]);
            int j = i + 1;
            // sample j continues the session when its input is input(j-1) minus its last item
            // and its target is that last item
            while (j < size() && continuesSession(j - 1, j)) {
                j++;
            }
            i = j;
        }
        return b.build();
    }

    private boolean continuesSession(int prev, int next) {
        int lp = inputs.length(prev);
        int ln = inputs.length(next);
        if (ln != lp - 1 || ln == 0) return false;
        if (targets[next] != inputs.item(prev, lp - 1)) return false;
        for (int t = 0; t < ln; t++) {
            if (inputs.item(prev, t) != inputs.item(next, t)) return false;
        }
        return true;
    }
}
