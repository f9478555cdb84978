package org.lgsr.cli;

import org.lgsr.gpu.Device;
import org.lgsr.gpu.GpuProbe;
import picocli.CommandLine.Option;

/**
 * {@code --device auto|cpu|gpu|sim}, shared by every command that computes. {@link #resolve} says
 * in one line (stderr) which device was chosen and why.
 */
final class DeviceOptions {
    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEVICE",
            description = "auto (default: the GPU when a CUDA driver and device answer, else the CPU), cpu, gpu, or sim "
                    + "(the GPU engine on the simulated device: the same CUDA kernels compiled for the CPU; slow, for checking and debugging).")
    String device;

    /** The device to compute on; `gpu` without a usable GPU is bad input (exit 2). */
    Device resolve() {
        return resolve(null);
    }

    /** {@link #resolve()}, adding the device line to {@code notes} (printed later by the caller) instead of printing it; null: print. */
    Device resolve(java.util.List<String> notes) {
        // --device cpu never touches the GPU libraries
        if (device.equals("sim")) {
            String why = org.lgsr.gpu.sim.SimDriver.availability();
            if (why != null) throw new IllegalArgumentException("--device sim: " + why);
            try {
                org.lgsr.gpu.Driver.useSim();
            } catch (IllegalStateException e) {
                throw new IllegalArgumentException("--device sim: " + e.getMessage());
            }
        }
        GpuProbe probe = device.equals("cpu") ? new GpuProbe(false, "not probed") : device.equals("sim") ? GpuProbe.current() : GpuProbe.get();
        Device d = choose(device, probe);
        if (notes == null) System.err.println(line(device, d, probe));
        else notes.add(line(device, d, probe));
        return d;
    }

    static Device choose(String requested, GpuProbe probe) {
        switch (requested) {
            case "cpu":
                return Device.CPU;
            case "gpu":
                if (!probe.available()) throw new IllegalArgumentException("--device gpu: no usable GPU: " + probe.summary());
                return Device.GPU;
            case "sim":
                if (!probe.available()) throw new IllegalArgumentException("--device sim: " + probe.summary());
                return Device.GPU;
            case "auto":
                return probe.available() ? Device.GPU : Device.CPU;
            default:
                throw new IllegalArgumentException("--device: unknown device '" + requested + "'; known: auto, cpu, gpu, sim");
        }
    }

    static String line(String requested, Device d, GpuProbe probe) {
        if (d == Device.GPU && requested.equals("sim")) {
            return "device: sim, the GPU engine on the " + probe.summary().replaceFirst("^GPU 0: ", "") + " (--device sim)";
        }
        if (d == Device.GPU) return "device: gpu, " + probe.summary() + " (--device " + requested + ")";
        if (requested.equals("cpu")) return "device: cpu (--device cpu)";
        return "device: cpu (--device auto: " + probe.summary() + ")";
    }
}
