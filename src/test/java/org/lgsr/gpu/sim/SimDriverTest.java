package org.lgsr.gpu.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lgsr.gpu.CudaException;

/**
 * The simulated device as a checker: each deliberately broken launch or copy is refused with a
 * message naming the kernel or the call (the checks can fail), and a correct launch of a real
 * kernel computes what the host computes. Runs the SimDriver directly (not the process's
 * driver), so it does not depend on which device the GPU tests chose.
 */
class SimDriverTest {
    static SimDriver sim;

    @BeforeAll
    static void open() {
        String why = SimDriver.availability();
        assumeTrue(why == null, "no simulated device: " + why);
        sim = new SimDriver();
        sim.contextRetain(0);
    }

    @Test
    void everyKernelOfTheFatbinIsInTheLibrary() {
        String[] names = SimDriver.kernels();
        for (String k : new String[] {"adam", "embedding_gather", "embedding_scatter_add_sorted", "attention_forward", "attention_backward",
                "aggregate_forward", "softmax_ce_forward_t8", "softmax_ce_backward_t8c1", "rank_targets_t8", "random_walks", "skipgram_pairs",
                "nce_loss_grad", "nce_scatter", "philox_uniform", "layer_norm_backward", "col_sum"}) {
            assertTrue(Arrays.asList(names).contains(k), k + " missing from " + Arrays.toString(names));
        }
    }

    @Test
    void aCorrectLaunchComputesWhatTheHostDoes() {
        // embedding_gather(out, table, idx, R, D): out[r] = table[idx[r]]
        int v = 7, d = 5, r = 4;
        float[] table = new float[v * d];
        for (int i = 0; i < table.length; i++) table[i] = i * 0.5f;
        int[] idx = {3, 0, 6, 3};
        long t = sim.alloc(4L * table.length), ix = sim.alloc(4L * r), out = sim.alloc(4L * r * d);
        try {
            sim.copyArrayToDevice(t, table, 0, 4L * table.length, 0);
            sim.copyArrayToDevice(ix, idx, 0, 4L * r, 0);
            long f = sim.function(1, "embedding_gather");
            sim.launch(f, "embedding_gather", 2, 32, 0, 0, new Object[] {out, t, ix, r, d});
            float[] got = new float[r * d], want = new float[r * d];
            sim.copyDeviceToArray(got, 0, out, 4L * r * d);
            for (int i = 0; i < r; i++) System.arraycopy(table, idx[i] * d, want, i * d, d);
            assertArrayEquals(want, got);
        } finally {
            sim.free(t);
            sim.free(ix);
            sim.free(out);
        }
    }

    @Test
    void brokenLaunchesAreRefusedNamingTheKernel() {
        long a = sim.alloc(4096);
        try {
            long f = sim.function(1, "embedding_gather");
            // one argument short
            CudaException e = assertThrows(CudaException.class, () -> sim.launch(f, "embedding_gather", 1, 32, 0, 0, new Object[] {a, a, a, 1}));
            assertTrue(e.getMessage().contains("embedding_gather") && e.getMessage().contains("arguments"), e.getMessage());
            // a float where the kernel takes an int
            e = assertThrows(CudaException.class, () -> sim.launch(f, "embedding_gather", 1, 32, 0, 0, new Object[] {a, a, a, 1f, 1}));
            assertTrue(e.getMessage().contains("argument 3"), e.getMessage());
            // a pointer into no live allocation (a freed buffer)
            long gone = sim.alloc(64);
            sim.free(gone);
            e = assertThrows(CudaException.class, () -> sim.launch(f, "embedding_gather", 1, 32, 0, 0, new Object[] {gone, a, a, 1, 1}));
            assertTrue(e.getMessage().contains("no live allocation"), e.getMessage());
            // a block of 2048 threads
            e = assertThrows(CudaException.class, () -> sim.launch(f, "embedding_gather", 1, 2048, 0, 0, new Object[] {a, a, a, 1, 1}));
            assertTrue(e.getMessage().contains("embedding_gather"), e.getMessage());
            // above 48 KB of dynamic shared memory without the opt-in, then with it
            long s = sim.function(1, "embedding_scatter_add_sorted");
            Object[] args = {a, a, a, a, a, 0, 1};
            e = assertThrows(CudaException.class, () -> sim.launch(s, "embedding_scatter_add_sorted", 1, 256, 64 * 1024, 0, args));
            assertTrue(e.getMessage().contains("opt-in"), e.getMessage());
            sim.setMaxDynamicSharedBytes(s, "embedding_scatter_add_sorted", 64 * 1024);
            sim.launch(s, "embedding_scatter_add_sorted", 1, 256, 64 * 1024, 0, args); // S = 0 runs: nothing to do
            // copies outside an allocation
            e = assertThrows(CudaException.class, () -> sim.fill32(a + 4000, 0, 100, 0));
            assertTrue(e.getMessage().contains("cuMemsetD32"), e.getMessage());
            assertThrows(CudaException.class, () -> sim.copyArrayToDevice(a, new float[2000], 0, 8000, 0));
            assertThrows(CudaException.class, () -> sim.function(1, "no_such_kernel"));
        } finally {
            sim.free(a);
        }
    }

    @Test
    void freshMemoryReadsAsNaNAndMinusOne() {
        try (DeviceFloatsProbe p = new DeviceFloatsProbe(sim, 8)) {
            float[] f = new float[8];
            int[] i = new int[8];
            sim.copyDeviceToArray(f, 0, p.address, 32);
            sim.copyDeviceToArray(i, 0, p.address, 32);
            for (int k = 0; k < 8; k++) {
                assertTrue(Float.isNaN(f[k]), "fresh device memory is NaN");
                assertEquals(-1, i[k]);
            }
        }
    }

    @Test
    void eventsTimeTheHostClock() throws InterruptedException {
        long a = sim.eventCreate(), b = sim.eventCreate();
        assertThrows(CudaException.class, () -> sim.eventElapsedMillis(a, b));
        sim.eventRecord(a, 0);
        Thread.sleep(20);
        sim.eventRecord(b, 0);
        float ms = sim.eventElapsedMillis(a, b);
        assertTrue(ms >= 19 && ms < 5000, "elapsed " + ms);
        sim.eventDestroy(a);
        sim.eventDestroy(b);
    }

    /** An allocation on the given driver, freed at close. */
    private record DeviceFloatsProbe(SimDriver d, long address) implements AutoCloseable {
        DeviceFloatsProbe(SimDriver d, int floats) {
            this(d, d.alloc(4L * floats));
        }

        @Override
        public void close() {
            d.free(address);
        }
    }
}
