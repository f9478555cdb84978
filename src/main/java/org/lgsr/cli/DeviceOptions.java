package org.lgsr.cli;

import org.lgsr.gpu.Device;
import org.lgsr.gpu.GpuProbe;
import picocli.CommandLine.Option;

/**
 * {@code --device auto|cpu|gpu}, shared by every command that computes. {@link #resolve} says
 * in one line (stderr) which device was chosen and why.
 */
final class DeviceOptions {
    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEVICE",
            description = "auto (default: the GPU when a CUDA driver and device answer, else the CPU), cpu or gpu.")
    String device;

    /** The device to compute on; `gpu` without a usable GPU is bad input (exit 2). */
    Device resolve() {
        // --device cpu never touches the GPU libraries
        GpuProbe probe = device.equals("cpu") ? new GpuProbe(false, "not probed") : GpuProbe.get();
        Device d = choose(device, probe);
        System.err.println(line(device, d, probe));
        return d;
    }

    static Device choose(String requested, GpuProbe probe) {
        switch (requested) {
            case "cpu":
                return Device.CPU;
            case "gpu":
                if (!probe.available()) throw new IllegalArgumentException("--device gpu: no usable GPU: " + probe.summary());
                return Device.GPU;
            case "auto":
                return probe.available() ? Device.GPU : Device.CPU;
            default:
                throw new IllegalArgumentException("--device: unknown device '" + requested + "'; known: auto, cpu, gpu");
        }
    }

    static String line(String requested, Device d, GpuProbe probe) {
        if (d == Device.GPU) return "device: gpu, " + probe.summary() + " (--device " + requested + ")";
        if (requested.equals("cpu")) return "device: cpu (--device cpu)";
        return "device: cpu (--device auto: " + probe.summary() + ")";
    }
}
