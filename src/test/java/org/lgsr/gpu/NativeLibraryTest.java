package org.lgsr.gpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/** The JNI library and the probe, on any machine (no GPU needed). */
class NativeLibraryTest {
    @Test
    void jniLibraryLoadsFromTheResources() {
        assumeTrue(NativeResources.present(NativeResources.JNI_LIBRARY), "built without cmake: no liblgsr_native.so");
        assertNull(CublasNative.loadLibrary());
        // NVTX ranges are callable whether or not a tool listens
        try (Nvtx.Range r = Nvtx.range("test")) {
            Nvtx.push("inner");
            Nvtx.pop();
        }
    }

    @Test
    void missingCublasIsOneLineNamingWhatWasSearched() {
        assumeTrue(NativeResources.present(NativeResources.JNI_LIBRARY), "built without cmake: no liblgsr_native.so");
        String err = Cublas.cudaLoadError();
        assumeTrue(err != null, "cuBLAS is installed here (" + Cublas.libraryName() + ")");
        assertFalse(err.contains("\n"), err);
        assertTrue(err.contains("libcublas.so.13") && err.contains("libcublas.so.12") && err.contains("LD_LIBRARY_PATH"), err);
        if (!Driver.get().simulated()) { // on the simulated device a Cublas needs no cuBLAS
            CudaException e = assertThrows(CudaException.class, Cublas::new);
            assertTrue(e.getMessage().startsWith("cuBLAS not found"), e.getMessage());
        }
    }

    @Test
    void probeIsOneLine() {
        GpuProbe p = GpuProbe.get();
        assertFalse(p.summary().contains("\n"), p.summary());
        if (!p.available() && !new java.io.File("/usr/lib/x86_64-linux-gnu/libcuda.so.1").exists()) {
            assertTrue(p.summary().startsWith("no CUDA driver"), p.summary());
            CudaException e = assertThrows(CudaException.class, () -> GpuContext.openCuda(0));
            assertTrue(e.getMessage().startsWith("no usable GPU: no CUDA driver"), e.getMessage());
        }
    }

    @Test
    void kernelsArePackedWhereNvccBuiltThem() {
        // the build puts the fatbin in the classes when nvcc is on PATH (and not -Dlgsr.cuda=off)
        boolean nvcc = System.getenv("PATH") != null && java.util.Arrays.stream(System.getenv("PATH").split(":"))
                .anyMatch(d -> new java.io.File(d, "nvcc").canExecute());
        assumeTrue(nvcc && !"off".equals(System.getProperty("lgsr.cuda")), "nvcc not on PATH here");
        assertTrue(KernelModule.fatbinPresent(), "nvcc is on PATH but the jar has no lgsr_kernels.fatbin");
    }
}
