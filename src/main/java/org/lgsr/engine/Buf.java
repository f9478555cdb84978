package org.lgsr.engine;

/**
 * A view of a buffer owned by a {@link Backend}: elements {@code [offset, offset + length)} of
 * its storage (a Java array on the CPU backend, a device allocation on the GPU backend). The
 * element type is fixed by how it was allocated: float, int, double or long.
 */
public final class Buf {
    /** Element type. */
    public enum Type { FLOAT, INT, DOUBLE, LONG }

    /** Bytes per element. */
    static int bytes(Type t) {
        return t == Type.DOUBLE || t == Type.LONG ? 8 : 4;
    }

    final Object store;
    final Type type;
    final long offset;
    final long length;

    Buf(Object store, Type type, long offset, long length) {
        this.store = store;
        this.type = type;
        this.offset = offset;
        this.length = length;
    }

    public long length() {
        return length;
    }

    public Type type() {
        return type;
    }

    /** Elements {@code [from, from + count)} of this view. */
    public Buf view(long from, long count) {
        if (from < 0 || count < 0 || from + count > length) {
            throw new IndexOutOfBoundsException("view [" + from + ", " + (from + count) + ") of a buffer of " + length);
        }
        return new Buf(store, type, offset + from, count);
    }

}
