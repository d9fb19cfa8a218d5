package dev.edgerun.devices.probe;

import java.util.List;

/**
 * CPUs sharing one maximum frequency: on big.LITTLE boards the big and the little cores form
 * separate clusters; elsewhere there is one.
 *
 * @param core       the core's name when known (e.g. {@code Cortex-A76}), else null
 * @param maxFreqKhz {@code cpuinfo_max_freq} of cpufreq, 0 when unreadable
 * @param cpus       logical CPU numbers
 * @param physicalCores distinct physical cores among {@code cpus}
 */
public record CpuCluster(String core, long maxFreqKhz, List<Integer> cpus, int physicalCores) {
    public CpuCluster {
        cpus = List.copyOf(cpus);
    }
}
