package org.lgsr.data.preprocess;

import java.util.Arrays;

/** Small growable primitive arrays and a stable index sort, so that no click is boxed. */
final class IntArrays {
    private IntArrays() {
    }

    /** A growable {@code int[]}. */
    static final class Ints {
        int[] a;
        int size;

        Ints(int capacity) {
            a = new int[Math.max(4, capacity)];
        }

        void add(int v) {
            if (size == a.length) grow();
            a[size++] = v;
        }

        int get(int i) {
            return a[i];
        }

        void set(int i, int v) {
            a[i] = v;
        }

        private void grow() {
            long cap = Math.min((long) Integer.MAX_VALUE - 16, (long) a.length + (a.length >> 1) + 16);
            if (cap <= a.length) throw new IllegalStateException("array too large");
            a = Arrays.copyOf(a, (int) cap);
        }
    }

    /** A growable {@code long[]}. */
    static final class Longs {
        long[] a;
        int size;

        Longs(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        void add(long v) {
            if (size == a.length) grow();
            a[size++] = v;
        }

        long get(int i) {
            return a[i];
        }

        void set(int i, long v) {
            a[i] = v;
        }

        private void grow() {
            long cap = Math.min((long) Integer.MAX_VALUE - 16, (long) a.length + (a.length >> 1) + 16);
            if (cap <= a.length) throw new IllegalStateException("array too large");
            a = Arrays.copyOf(a, (int) cap);
        }
    }

    /**
     * Sorts {@code idx[0..n)} by {@code key[idx[i]]} ascending, stably (equal keys keep their
     * order), as Python's {@code sorted} does. {@code tmp} must hold at least {@code n} ints.
     */
    static void stableSortByKey(int[] idx, int n, long[] key, int[] tmp) {
        if (n < 2) return;
        if (n <= 24) {
            insertionSort(idx, 0, n, key);
            return;
        }
        // bottom-up merge sort over runs first sorted by insertion
        final int run = 16;
        for (int lo = 0; lo < n; lo += run) {
            insertionSort(idx, lo, Math.min(n, lo + run), key);
        }
        int[] src = idx;
        int[] dst = tmp;
        for (int width = run; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(n, lo + width);
                int hi = Math.min(n, lo + 2 * width);
                int i = lo;
                int j = mid;
                int k = lo;
                while (i < mid && j < hi) {
                    // take from the right only when strictly smaller: stability
                    if (key[src[j]] < key[src[i]]) {
                        dst[k++] = src[j++];
                    } else {
                        dst[k++] = src[i++];
                    }
                }
                while (i < mid) dst[k++] = src[i++];
                while (j < hi) dst[k++] = src[j++];
            }
            int[] t = src;
            src = dst;
            dst = t;
        }
        if (src != idx) System.arraycopy(src, 0, idx, 0, n);
    }

    private static void insertionSort(int[] idx, int from, int to, long[] key) {
        for (int i = from + 1; i < to; i++) {
            int v = idx[i];
            long kv = key[v];
            int j = i - 1;
            while (j >= from && key[idx[j]] > kv) {
                idx[j + 1] = idx[j];
                j--;
            }
            idx[j + 1] = v;
        }
    }
}
