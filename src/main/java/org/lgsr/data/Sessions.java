package org.lgsr.data;

import java.util.Arrays;

/**
 * An immutable list of integer sequences in compressed rows: sequence {@code i} is
 * {@code items[offsets[i] .. offsets[i+1])}. Used for training sessions and for the inputs
 * of samples. Invariant: {@code offsets[0] == 0}, offsets non-decreasing,
 * {@code offsets[size()] == items.length} (the arrays may be trimmed copies of a builder's).
 */
public final class Sessions {
    private final int[] offsets;
    private final int[] items;

    public Sessions(int[] offsets, int[] items) {
        if (offsets.length == 0 || offsets[0] != 0 || offsets[offsets.length - 1] != items.length) {
            throw new IllegalArgumentException("offsets do not describe items");
        }
        this.offsets = offsets;
        this.items = items;
    }

    public int size() {
        return offsets.length - 1;
    }

    public int length(int i) {
        return offsets[i + 1] - offsets[i];
    }

    /** Index into {@link #items()} of the first item of sequence {@code i}. */
    public int start(int i) {
        return offsets[i];
    }

    public int item(int i, int j) {
        return items[offsets[i] + j];
    }

    /** Last item of sequence {@code i}. */
    public int last(int i) {
        return items[offsets[i + 1] - 1];
    }

    public int[] get(int i) {
        return Arrays.copyOfRange(items, offsets[i], offsets[i + 1]);
    }

    /** The shared backing arrays; callers must not modify them. */
    public int[] offsets() {
        return offsets;
    }

    public int[] items() {
        return items;
    }

    public long totalItems() {
        return items.length;
    }

    /** Largest item id, 0 when empty. */
    public int maxItem() {
        int m = 0;
        for (int v : items) {
            if (v > m) m = v;
        }
        return m;
    }

    /** The sub-list of sequences {@code [from, to)} (copies the rows). */
    public Sessions slice(int from, int to) {
        Builder b = new Builder(to - from, offsets[to] - offsets[from]);
        for (int i = from; i < to; i++) {
            b.add(items, offsets[i], length(i));
        }
        return b.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sessions s && Arrays.equals(offsets, s.offsets) && Arrays.equals(items, s.items);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(offsets) + Arrays.hashCode(items);
    }

    /** Appends sequences into growing int arrays (no boxing). */
    public static final class Builder {
        private int[] offsets;
        private int[] items;
        private int count;

        public Builder() {
            this(1024, 8192);
        }

        public Builder(int expectedSequences, int expectedItems) {
            offsets = new int[Math.max(2, expectedSequences + 1)];
            items = new int[Math.max(16, expectedItems)];
        }

        public Builder add(int[] src, int from, int len) {
            ensure(len);
            System.arraycopy(src, from, items, offsets[count], len);
            offsets[count + 1] = offsets[count] + len;
            count++;
            return this;
        }

        public Builder add(int... seq) {
            return add(seq, 0, seq.length);
        }

        /** Appends {@code prefix[from..from+len)} followed by {@code extra}. */
        public Builder addWith(int[] src, int from, int len, int extra) {
            ensure(len + 1);
            System.arraycopy(src, from, items, offsets[count], len);
            items[offsets[count] + len] = extra;
            offsets[count + 1] = offsets[count] + len + 1;
            count++;
            return this;
        }

        private void ensure(int len) {
            if (count + 2 > offsets.length) {
                offsets = Arrays.copyOf(offsets, offsets.length * 2);
            }
            long need = (long) offsets[count] + len;
            if (need > items.length) {
                long cap = Math.max(need, (long) items.length * 2);
                if (cap > Integer.MAX_VALUE - 16) cap = Integer.MAX_VALUE - 16;
                items = Arrays.copyOf(items, (int) cap);
            }
        }

        public int size() {
            return count;
        }

        public Sessions build() {
            return new Sessions(Arrays.copyOf(offsets, count + 1), Arrays.copyOf(items, offsets[count]));
        }
    }
}
