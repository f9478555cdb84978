package org.lgsr.gpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Host-to-device uploads in stream order without stalling the stream: the host data is first
 * copied into page-locked (pinned) staging memory, then cuMemcpyHtoDAsync queues the copy on the
 * stream, so it lands after the kernels queued before it (which may still read the old
 * contents) and before those queued after. The staging memory is a ring of four quarters; an
 * event recorded when the writer leaves a quarter is waited for before the writer enters it
 * again a lap later, so no staged bytes are overwritten before their copy ran.
 */
public final class PinnedRing implements AutoCloseable {
    private static final int QUARTERS = 4;
    private final Driver driver = Driver.get();
    private final long host;
    private final ByteBuffer bytes;
    private final long quarter;
    private final CudaStream stream;
    private final CudaEvent[] left = new CudaEvent[QUARTERS];
    private final boolean[] pending = new boolean[QUARTERS];
    private long head;
    private int cur;
    private boolean closed;

    /** A ring of {@code capacityBytes} (rounded to a multiple of 4 x 256) for uploads on {@code stream}. */
    public PinnedRing(long capacityBytes, CudaStream stream) {
        long q = Math.max(256, (capacityBytes / QUARTERS + 255) / 256 * 256);
        this.quarter = q;
        this.stream = stream;
        this.host = driver.allocHost(q * QUARTERS);
        this.bytes = driver.hostBuffer(host, q * QUARTERS).order(ByteOrder.nativeOrder());
        for (int i = 0; i < QUARTERS; i++) left[i] = new CudaEvent();
    }

    /** Largest single upload the ring stages (a quarter); larger ones are queued from the Java array itself. */
    public long maxBytes() {
        return quarter;
    }

    /** Reserves {@code n} bytes (16-aligned) inside the current quarter, moving on to the next when they do not fit; returns the byte offset in the ring. */
    private long reserve(long n) {
        long aligned = (n + 15) & ~15L;
        if (head + aligned > (long) (cur + 1) * quarter) { // leave the current quarter
            left[cur].record(stream);
            pending[cur] = true;
            cur = (cur + 1) % QUARTERS;
            head = (long) cur * quarter;
            if (pending[cur]) { // its copies of a lap ago must have run before it is overwritten
                left[cur].synchronize();
                pending[cur] = false;
            }
        }
        long at = head;
        head += aligned;
        return at;
    }

    /** Queues the upload of {@code count} ints of {@code src} from {@code srcOffset} to device address {@code dst}. */
    public void upload(long dst, int[] src, int srcOffset, int count) {
        upload(dst, 4L * count, src, 4L * srcOffset, b -> b.asIntBuffer().put(src, srcOffset, count));
    }

    /** Queues the upload of {@code count} floats. */
    public void upload(long dst, float[] src, int srcOffset, int count) {
        upload(dst, 4L * count, src, 4L * srcOffset, b -> b.asFloatBuffer().put(src, srcOffset, count));
    }

    /** Queues the upload of {@code count} doubles. */
    public void upload(long dst, double[] src, int srcOffset, int count) {
        upload(dst, 8L * count, src, 8L * srcOffset, b -> b.asDoubleBuffer().put(src, srcOffset, count));
    }

    /** Queues the upload of {@code count} longs. */
    public void upload(long dst, long[] src, int srcOffset, int count) {
        upload(dst, 8L * count, src, 8L * srcOffset, b -> b.asLongBuffer().put(src, srcOffset, count));
    }

    /** Stages {@code n} bytes written by {@code put} (at the buffer's position) and queues their copy; large ones go straight from the array. */
    private void upload(long dst, long n, Object array, long arrayByteOffset, java.util.function.Consumer<ByteBuffer> put) {
        if (n == 0) return;
        if (n > quarter) {
            large(dst, array, arrayByteOffset, n);
            return;
        }
        long at = reserve(n);
        bytes.position((int) at);
        put.accept(bytes);
        copy(dst, at, n);
    }

    /**
     * An upload larger than a quarter: straight from the (pageable) Java array, queued on the
     * stream; the driver stages pageable memory before the call returns, so the array may
     * change afterwards, and the copy stays in stream order.
     */
    private void large(long dst, Object array, long arrayByteOffset, long n) {
        driver.copyArrayToDevice(dst, array, arrayByteOffset, n, stream.address());
    }

    private void copy(long dst, long at, long n) {
        driver.copyHostToDevice(dst, host + at, n, stream.address());
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        stream.synchronize();
        for (CudaEvent e : left) e.close();
        driver.freeHost(host);
    }
}
