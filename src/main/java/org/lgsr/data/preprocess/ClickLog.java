package org.lgsr.data.preprocess;

import java.util.BitSet;
import org.lgsr.data.preprocess.IntArrays.Ints;
import org.lgsr.data.preprocess.IntArrays.Longs;

/**
 * The clicks of a raw log as read, in compact arrays: every click in file order, grouped into
 * runs (maximal stretches of consecutive rows of one session), and every session as a chain
 * of its runs. Sessions are numbered in order of first appearance; {@link #order} lists them in
 * the order in which a run of theirs first ended, which is the order of SR-GNN's date dict.
 */
final class ClickLog {
    /** Item of each click (interned: 0, 1, ... in order of first appearance in the file). */
    final Ints items;
    /** Diginetica's {@code timeframe} of each click; null for Yoochoose. */
    final Longs timeframes;

    final Ints runStart;
    final Ints runLength;
    final Ints runNext; // next run of the same session, -1 at the end

    final Ints sessionHead; // first run
    final Ints sessionTail; // last run
    final Longs sessionDate; // date of the last row of the last run ended so far
    final Ints order = new Ints(1024);
    private final BitSet ended = new BitSet();

    private int currentSession = -1;
    private int currentRun = -1;
    private long currentDate;

    int itemCount;
    long lines;

    ClickLog(boolean withTimeframes) {
        items = new Ints(1 << 16);
        timeframes = withTimeframes ? new Longs(1 << 16) : null;
        runStart = new Ints(1 << 12);
        runLength = new Ints(1 << 12);
        runNext = new Ints(1 << 12);
        sessionHead = new Ints(1 << 12);
        sessionTail = new Ints(1 << 12);
        sessionDate = new Longs(1 << 12);
    }

    int sessionCount() {
        return sessionHead.size;
    }

    long clickCount() {
        return items.size;
    }

    /** Registers a new session and returns its index. */
    int newSession() {
        sessionHead.add(-1);
        sessionTail.add(-1);
        sessionDate.add(Long.MIN_VALUE);
        return sessionHead.size - 1;
    }

    /**
     * Adds one row. {@code session} is the index from {@link #newSession} (or an earlier one),
     * {@code date} the row's date in epoch seconds.
     */
    void add(int session, int item, long timeframe, long date) {
        if (session != currentSession) {
            endRun();
            int run = runStart.size;
            runStart.add(items.size);
            runLength.add(0);
            runNext.add(-1);
            int tail = sessionTail.get(session);
            if (tail < 0) {
                sessionHead.set(session, run);
            } else {
                runNext.set(tail, run);
            }
            sessionTail.set(session, run);
            currentSession = session;
            currentRun = run;
        }
        items.add(item);
        if (timeframes != null) timeframes.add(timeframe);
        runLength.a[currentRun]++;
        currentDate = date;
    }

    /** Ends the current run, as SR-GNN does when the session id changes (and at the end). */
    void endRun() {
        if (currentSession < 0) return;
        sessionDate.set(currentSession, currentDate);
        if (!ended.get(currentSession)) {
            ended.set(currentSession);
            order.add(currentSession);
        }
        currentSession = -1;
        currentRun = -1;
    }

    /** Number of clicks of a session (over all its runs). */
    int length(int session) {
        int n = 0;
        for (int r = sessionHead.get(session); r >= 0; r = runNext.get(r)) {
            n += runLength.get(r);
        }
        return n;
    }

    /**
     * Copies the click indices of a session, in file order, into {@code dst} (which must be
     * large enough: see {@link #length}) and returns how many there are.
     */
    int clicks(int session, int[] dst) {
        int n = 0;
        for (int r = sessionHead.get(session); r >= 0; r = runNext.get(r)) {
            int s = runStart.get(r);
            int len = runLength.get(r);
            for (int k = 0; k < len; k++) dst[n++] = s + k;
        }
        return n;
    }
}
