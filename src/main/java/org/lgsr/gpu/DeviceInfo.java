package org.lgsr.gpu;

/** What the engine needs to know about a device: name, compute capability, size. */
public record DeviceInfo(int ordinal, String name, int ccMajor, int ccMinor, int multiprocessors, long totalMemory,
                         int l2CacheBytes) {
    public String oneLine() {
        return String.format("GPU %d: %s (sm_%d%d, %d SMs, %.1f GiB)", ordinal, name, ccMajor, ccMinor, multiprocessors,
                totalMemory / (double) (1L << 30));
    }
}
