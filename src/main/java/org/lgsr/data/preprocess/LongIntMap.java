package org.lgsr.data.preprocess;

/**
 * An open-addressing hash map from {@code long} keys to non-negative {@code int} values, for
 * millions of session ids without a boxed entry each.
 */
final class LongIntMap {
    private long[] keys;
    private int[] values; // -1 marks a free slot
    private int size;
    private int mask;

    LongIntMap(int expected) {
        int cap = 16;
        while (cap < expected * 2L && cap < (1 << 30)) cap <<= 1;
        alloc(cap);
    }

    private void alloc(int cap) {
        keys = new long[cap];
        values = new int[cap];
        java.util.Arrays.fill(values, -1);
        mask = cap - 1;
    }

    int size() {
        return size;
    }

    /** The value of {@code key}, or -1 when absent. */
    int get(long key) {
        int i = slot(key);
        while (values[i] >= 0) {
            if (keys[i] == key) return values[i];
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Stores {@code value} (>= 0) under {@code key}, which must be absent. */
    void putNew(long key, int value) {
        if ((size + 1) * 2L > keys.length) rehash();
        int i = slot(key);
        while (values[i] >= 0) i = (i + 1) & mask;
        keys[i] = key;
        values[i] = value;
        size++;
    }

    private void rehash() {
        long[] oldK = keys;
        int[] oldV = values;
        if (oldK.length >= (1 << 30)) throw new IllegalStateException("too many keys");
        alloc(oldK.length * 2);
        for (int j = 0; j < oldK.length; j++) {
            if (oldV[j] >= 0) {
                int i = slot(oldK[j]);
                while (values[i] >= 0) i = (i + 1) & mask;
                keys[i] = oldK[j];
                values[i] = oldV[j];
            }
        }
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
