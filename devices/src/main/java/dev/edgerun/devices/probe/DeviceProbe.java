package dev.edgerun.devices.probe;

import dev.edgerun.runtime.kernels.Vectors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Reads facts about this machine from {@code /proc} and {@code /sys} below a root folder: {@code /}
 * for the machine itself, a recorded tree in tests. Missing files give null or empty facts, never an
 * error. OS, JVM and Vector API facts always describe the running JVM.
 */
public final class DeviceProbe {
    /** CPU flags that matter to inference kernels (x86 {@code flags}, ARM {@code Features}). */
    static final Set<String> KERNEL_FEATURES = Set.of("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f",
            "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_int8",
            "amx_bf16", "neon", "asimd", "asimdhp", "asimddp", "fphp", "i8mm", "bf16", "sve", "sve2", "sme");

    /** Arm Ltd ({@code CPU implementer 0x41}) part numbers of /proc/cpuinfo. */
    private static final Map<String, String> ARM_PARTS = Map.ofEntries(
            Map.entry("0xd03", "Cortex-A53"), Map.entry("0xd04", "Cortex-A35"), Map.entry("0xd05", "Cortex-A55"),
            Map.entry("0xd07", "Cortex-A57"), Map.entry("0xd08", "Cortex-A72"), Map.entry("0xd09", "Cortex-A73"),
            Map.entry("0xd0a", "Cortex-A75"), Map.entry("0xd0b", "Cortex-A76"), Map.entry("0xd0c", "Neoverse-N1"),
            Map.entry("0xd0d", "Cortex-A77"), Map.entry("0xd40", "Neoverse-V1"), Map.entry("0xd41", "Cortex-A78"),
            Map.entry("0xd42", "Cortex-A78AE"), Map.entry("0xd44", "Cortex-X1"), Map.entry("0xd46", "Cortex-A510"),
            Map.entry("0xd47", "Cortex-A710"), Map.entry("0xd48", "Cortex-X2"), Map.entry("0xd49", "Neoverse-N2"),
            Map.entry("0xd4b", "Cortex-A78C"), Map.entry("0xd4f", "Neoverse-V2"), Map.entry("0xd80", "Cortex-A520"),
            Map.entry("0xd81", "Cortex-A720"), Map.entry("0xd82", "Cortex-X4"));

    private final Path root;
    private final boolean runCommands;

    private DeviceProbe(Path root, boolean runCommands) {
        this.root = root;
        this.runCommands = runCommands;
    }

    /** Probes this machine; may run {@code nvidia-smi} when it is on the PATH and no driver file says more. */
    public static DeviceProbe local() {
        return new DeviceProbe(Path.of("/"), true);
    }

    /** Probes a recorded tree ({@code root/proc/cpuinfo}, {@code root/sys/...}); runs no command. */
    public static DeviceProbe at(Path root) {
        return new DeviceProbe(root, false);
    }

    public DeviceFacts probe() {
        List<Map<String, String>> processors = new ArrayList<>();
        Map<String, String> global = new LinkedHashMap<>();
        readCpuinfo(processors, global);
        String arch = arch(processors);
        List<String> features = features(processors, global);
        List<CpuCluster> clusters = clusters(processors);
        int logical = processors.isEmpty() ? Runtime.getRuntime().availableProcessors() : processors.size();
        int physical = clusters.stream().mapToInt(CpuCluster::physicalCores).sum();
        int big = clusters.isEmpty() ? logical : clusters.getLast().physicalCores();
        Map<String, Long> mem = meminfo();
        return new DeviceFacts(arch, cpuModel(processors, global, clusters), logical, physical == 0 ? logical : physical,
                big == 0 ? logical : big, clusters, features, mem.get("MemTotal"), mem.get("MemAvailable"),
                boardModel(), cpuTemperature(), nvidiaGpus(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                Runtime.version() + " (" + System.getProperty("java.vendor") + ")", Vectors.enabled(), Vectors.BITS);
    }

    /** One map per {@code processor} block, and the lines outside blocks (ARM's Hardware/Model). */
    private void readCpuinfo(List<Map<String, String>> processors, Map<String, String> global) {
        Map<String, String> current = null;
        for (String line : lines("proc/cpuinfo")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                current = null;
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (key.equals("processor")) {
                current = new LinkedHashMap<>();
                processors.add(current);
            }
            (current != null ? current : global).put(key, value);
        }
    }

    /** aarch64 or x86_64 as cpuinfo shows it, else the JVM's os.arch. */
    private static String arch(List<Map<String, String>> processors) {
        if (processors.isEmpty()) return System.getProperty("os.arch");
        Map<String, String> p = processors.getFirst();
        if ("8".equals(p.get("CPU architecture"))) return "aarch64";
        if (p.containsKey("vendor_id")) return (" " + p.getOrDefault("flags", "") + " ").contains(" lm ") ? "x86_64" : "x86";
        return System.getProperty("os.arch");
    }

    private static List<String> features(List<Map<String, String>> processors, Map<String, String> global) {
        Set<String> r = new TreeSet<>();
        List<Map<String, String>> all = new ArrayList<>(processors);
        all.add(global);
        for (Map<String, String> p : all) {
            for (String key : List.of("flags", "Features")) {
                String v = p.get(key);
                if (v == null) continue;
                for (String f : v.split("\\s+")) if (KERNEL_FEATURES.contains(f)) r.add(f);
            }
        }
        return List.copyOf(r);
    }

    private static String cpuModel(List<Map<String, String>> processors, Map<String, String> global,
                                   List<CpuCluster> clusters) {
        for (Map<String, String> p : processors) if (p.containsKey("model name")) return p.get("model name");
        List<String> cores = new ArrayList<>();
        for (int i = clusters.size() - 1; i >= 0; i--) {
            CpuCluster c = clusters.get(i);
            if (c.core() != null) cores.add(c.cpus().size() + "x " + c.core());
        }
        if (!cores.isEmpty()) return String.join(" + ", cores);
        return global.getOrDefault("Hardware", null);
    }

    /** Clusters ordered from slowest to fastest. */
    private List<CpuCluster> clusters(List<Map<String, String>> processors) {
        TreeMap<Long, List<Integer>> byFreq = new TreeMap<>();
        Map<Integer, Map<String, String>> byCpu = new LinkedHashMap<>();
        for (Map<String, String> p : processors) {
            int cpu = Integer.parseInt(p.get("processor").trim());
            byCpu.put(cpu, p);
            long khz = number("sys/devices/system/cpu/cpu" + cpu + "/cpufreq/cpuinfo_max_freq", 0);
            byFreq.computeIfAbsent(khz, k -> new ArrayList<>()).add(cpu);
        }
        List<CpuCluster> r = new ArrayList<>();
        for (var e : byFreq.entrySet()) {
            Map<String, String> first = byCpu.get(e.getValue().getFirst());
            String core = "0x41".equals(first.get("CPU implementer")) ? ARM_PARTS.get(first.get("CPU part")) : null;
            r.add(new CpuCluster(core, e.getKey(), e.getValue(), physicalCores(e.getValue(), byCpu)));
        }
        return r;
    }

    /** Distinct (package, core) pairs from sysfs topology, else from cpuinfo's physical id/core id. */
    private int physicalCores(List<Integer> cpus, Map<Integer, Map<String, String>> byCpu) {
        Set<String> cores = new HashSet<>();
        for (int cpu : cpus) {
            String dir = "sys/devices/system/cpu/cpu" + cpu + "/topology/";
            String pkg = text(dir + "physical_package_id");
            String core = text(dir + "core_id");
            if (core == null) {
                pkg = byCpu.get(cpu).get("physical id");
                core = byCpu.get(cpu).get("core id");
            }
            cores.add(core == null ? "cpu" + cpu : pkg + "/" + core);
        }
        return cores.size();
    }

    private Map<String, Long> meminfo() {
        Map<String, Long> r = new LinkedHashMap<>();
        for (String line : lines("proc/meminfo")) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String digits = line.substring(colon + 1).replaceAll("[^0-9]", "");
            if (!digits.isEmpty()) r.put(line.substring(0, colon), Long.parseLong(digits) * 1024);
        }
        return r;
    }

    private String boardModel() {
        String m = text("proc/device-tree/model");
        return m == null || m.isEmpty() ? null : m;
    }

    /** The CPU's thermal zone (type naming cpu, soc or the x86 package), else the first readable zone, in °C. */
    private Double cpuTemperature() {
        Double fallback = null;
        for (Path zone : children("sys/class/thermal", "thermal_zone*")) {
            String rel = root.relativize(zone).toString();
            long milli = number(rel + "/temp", Long.MIN_VALUE);
            if (milli == Long.MIN_VALUE) continue;
            String type = String.valueOf(text(rel + "/type"));
            double c = milli / 1000.0;
            if (type.contains("cpu") || type.contains("soc") || type.equals("x86_pkg_temp")) return c;
            if (fallback == null) fallback = c;
        }
        return fallback;
    }

    private List<String> nvidiaGpus() {
        List<String> r = new ArrayList<>();
        for (Path gpu : children("proc/driver/nvidia/gpus", "*")) {
            for (String line : lines(root.relativize(gpu) + "/information")) {
                if (line.startsWith("Model:")) r.add(line.substring("Model:".length()).trim() + " (" + gpu.getFileName() + ")");
            }
        }
        if (r.isEmpty() && runCommands) r.addAll(nvidiaSmi());
        return r;
    }

    /** GPU names from {@code nvidia-smi} when it is installed; never required. */
    private static List<String> nvidiaSmi() {
        try {
            Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader")
                    .redirectErrorStream(true).start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return List.of();
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.exitValue() == 0 ? out.lines().map(String::trim).filter(s -> !s.isEmpty()).toList() : List.of();
        } catch (IOException e) {
            return List.of(); // not installed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    private List<Path> children(String dir, String glob) {
        Path d = root.resolve(dir);
        if (!Files.isDirectory(d)) return List.of();
        List<Path> r = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(d, glob)) {
            s.forEach(r::add);
        } catch (IOException e) {
            return List.of();
        }
        r.sort(null);
        return r;
    }

    private List<String> lines(String rel) {
        Path p = root.resolve(rel);
        try {
            return Files.isReadable(p) ? Files.readAllLines(p, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The file's text, trimmed of whitespace and the NUL that device-tree strings end with; null when unreadable. */
    private String text(String rel) {
        Path p = root.resolve(rel);
        try {
            if (!Files.isReadable(p) || Files.isDirectory(p)) return null;
            return new String(Files.readAllBytes(p), StandardCharsets.UTF_8).replace("\0", "").trim();
        } catch (IOException e) {
            return null;
        }
    }

    private long number(String rel, long dflt) {
        String t = text(rel);
        if (t == null) return dflt;
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }
}
