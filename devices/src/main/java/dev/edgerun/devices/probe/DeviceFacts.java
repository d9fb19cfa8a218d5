package dev.edgerun.devices.probe;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link DeviceProbe} found. Nullable fields are null when the file behind them is missing or
 * unreadable (no device tree on x86, no thermal zone in a container).
 *
 * @param bigCores physical cores of the fastest cluster: the default intra-op thread count
 */
public record DeviceFacts(String arch, String cpuModel, int logicalCpus, int physicalCores, int bigCores,
                          List<CpuCluster> clusters, List<String> cpuFeatures, Long memoryTotalBytes,
                          Long memoryAvailableBytes, String boardModel, Double cpuTemperatureC,
                          List<String> nvidiaGpus, String os, String jvm, boolean vectorApi, int vectorBits) {

    public DeviceFacts {
        clusters = List.copyOf(clusters);
        cpuFeatures = List.copyOf(cpuFeatures);
        nvidiaGpus = List.copyOf(nvidiaGpus);
    }

    public boolean hasFeature(String f) {
        return cpuFeatures.contains(f);
    }

    /** A JSON-ready map with stable key order. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arch", arch);
        m.put("cpu_model", cpuModel);
        m.put("logical_cpus", logicalCpus);
        m.put("physical_cores", physicalCores);
        m.put("big_cores", bigCores);
        m.put("clusters", clusters.stream().map(c -> {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("core", c.core());
            cm.put("max_freq_khz", c.maxFreqKhz());
            cm.put("cpus", c.cpus());
            cm.put("physical_cores", c.physicalCores());
            return cm;
        }).toList());
        m.put("cpu_features", cpuFeatures);
        m.put("memory_total_bytes", memoryTotalBytes);
        m.put("memory_available_bytes", memoryAvailableBytes);
        m.put("board_model", boardModel);
        m.put("cpu_temperature_c", cpuTemperatureC);
        m.put("nvidia_gpus", nvidiaGpus);
        m.put("os", os);
        m.put("jvm", jvm);
        m.put("vector_api", vectorApi);
        m.put("vector_bits", vectorBits);
        return m;
    }
}
