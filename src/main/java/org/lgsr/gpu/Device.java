package org.lgsr.gpu;

/** Where a command computes. */
public enum Device {
    CPU, GPU
}
