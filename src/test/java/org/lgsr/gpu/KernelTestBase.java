package org.lgsr.gpu;

import org.lgsr.TestData;

import java.util.Random;
import org.junit.jupiter.api.BeforeEach;

/**
 * What every kernel test class on the GPU starts from: the shared session (context, kernel
 * module, stream; the test is skipped with the probe's reason where there is no GPU) and fresh
 * random inputs whose seed goes into failure messages.
 */
abstract class KernelTestBase {
    static GpuContext ctx;
    static KernelModule module;
    static CudaStream stream;
    final long seed = TestData.seed();
    final Random rnd = new Random(seed);

    @BeforeEach
    void openSession() {
        GpuTests.Session session = GpuTests.session();
        ctx = session.context();
        module = session.module();
        stream = session.stream();
    }
}
