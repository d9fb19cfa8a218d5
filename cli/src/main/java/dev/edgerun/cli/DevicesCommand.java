package dev.edgerun.cli;

import dev.edgerun.devices.OnnxRuntimeEngine;
import dev.edgerun.devices.probe.DeviceProbe;
import dev.edgerun.devices.providers.NativeLibraryCache;
import dev.edgerun.devices.providers.ProviderStatus;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.io.Json;
import dev.edgerun.runtime.kernels.Vectors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code edgerun devices}: engines, ONNX Runtime providers and facts about this machine. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the engines, every ONNX Runtime execution provider (available or why not) and device facts: "
                + "CPU, clusters, ISA features, memory, board, temperature, GPUs, Java and the Vector API.")
final class DevicesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("engines", engines());
        doc.put("onnxruntime", onnxRuntime());
        doc.put("cpu", cpu());
        doc.put("memory", memory());
        doc.put("java", java());
        PrintWriter out = spec.commandLine().getOut();
        if (common.json) out.println(Json.write(doc));
        else printText(out, doc);
        out.flush();
        return Main.OK;
    }

    private static List<Map<String, Object>> engines() {
        List<Map<String, Object>> r = new ArrayList<>();
        for (Engine e : Edgerun.engines()) {
            Engine.Availability a = e.availability();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", e.name());
            m.put("available", a.available());
            m.put("detail", a.detail());
            r.add(m);
        }
        if (!onnxRuntimeRegistered()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", OnnxRuntimeEngine.NAME);
            m.put("available", false);
            m.put("detail", "not in this distribution (the native-only jar); use edgerun.jar or a dist-PLATFORM jar");
            r.add(m);
        }
        return r;
    }

    /** True when the onnxruntime engine is registered (not so in the native-only distribution, which lacks ONNX Runtime). */
    private static boolean onnxRuntimeRegistered() {
        return Edgerun.engines().stream().anyMatch(e -> e.name().equals(OnnxRuntimeEngine.NAME));
    }

    private static Map<String, Object> onnxRuntime() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (!onnxRuntimeRegistered()) {
            m.put("version", "not in this distribution");
            m.put("artifact", "none");
            m.put("native_library_folder", null);
            m.put("providers", List.of());
            return m;
        }
        m.put("version", OnnxRuntimeEngine.ortVersion());
        m.put("artifact", ProviderStatus.loadedArtifact());
        Path libs = NativeLibraryCache.folder();
        m.put("native_library_folder", libs == null ? null : libs.toString());
        List<Map<String, Object>> providers = new ArrayList<>();
        for (ProviderStatus p : OnnxRuntimeEngine.providerStatuses()) {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("device", p.provider().device());
            pm.put("provider", p.provider().ortProvider().getName());
            pm.put("available", p.available());
            pm.put("reason", p.reason());
            providers.add(pm);
        }
        m.put("providers", providers);
        return m;
    }

    /** Facts from {@link DeviceProbe}: CPU model, cores, clusters, ISA features, board, temperature, GPUs. */
    private static Map<String, Object> cpu() {
        return DeviceProbe.local().probe().toMap();
    }

    private static Map<String, Object> memory() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        Path meminfo = Path.of("/proc/meminfo");
        if (Files.isReadable(meminfo)) {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith("MemTotal:")) m.put("total_bytes", kib(line));
                if (line.startsWith("MemAvailable:")) m.put("available_bytes", kib(line));
            }
        }
        m.put("jvm_max_heap_bytes", Runtime.getRuntime().maxMemory());
        return m;
    }

    private static long kib(String meminfoLine) {
        return Long.parseLong(meminfoLine.replaceAll("[^0-9]", "")) * 1024;
    }

    private static Map<String, Object> java() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", Runtime.version().toString());
        m.put("vendor", System.getProperty("java.vendor"));
        m.put("vector_api", Vectors.enabled());
        m.put("vector_bits", Vectors.BITS);
        return m;
    }

    @SuppressWarnings("unchecked")
    private static void printText(PrintWriter out, Map<String, Object> doc) {
        out.println("engines");
        for (Map<String, Object> e : (List<Map<String, Object>>) doc.get("engines")) {
            out.printf("  %-12s %-13s %s%n", e.get("name"), (Boolean) e.get("available") ? "available" : "UNAVAILABLE",
                    e.get("detail"));
        }
        Map<String, Object> ort = (Map<String, Object>) doc.get("onnxruntime");
        if ("none".equals(ort.get("artifact"))) out.printf("onnxruntime  %s%n", ort.get("version"));
        else out.printf("onnxruntime  %s (%s), native libraries in %s%n", ort.get("version"), ort.get("artifact"),
                ort.get("native_library_folder") == null ? "a temporary folder" : ort.get("native_library_folder"));
        for (Map<String, Object> p : (List<Map<String, Object>>) ort.get("providers")) {
            out.printf("  %-10s %-13s %s%n", p.get("device"), (Boolean) p.get("available") ? "available" : "unavailable",
                    p.get("reason"));
        }
        Map<String, Object> cpu = (Map<String, Object>) doc.get("cpu");
        out.printf("cpu          %s, %s, %s logical / %s physical cores, %s big, %s%n", cpu.get("cpu_model"),
                cpu.get("arch"), cpu.get("logical_cpus"), cpu.get("physical_cores"), cpu.get("big_cores"), cpu.get("os"));
        for (Map<String, Object> c : (List<Map<String, Object>>) cpu.get("clusters")) {
            out.printf("  cluster    %s cpus %s, max %s MHz%n", c.get("core") == null ? "" : c.get("core"), c.get("cpus"),
                    ((Long) c.get("max_freq_khz")) == 0 ? "?" : (Long) c.get("max_freq_khz") / 1000);
        }
        out.printf("cpu features %s%n", String.join(" ", (List<String>) cpu.get("cpu_features")));
        out.printf("board        %s; CPU temperature %s; NVIDIA GPUs %s%n",
                cpu.get("board_model") == null ? "(no device tree)" : cpu.get("board_model"),
                cpu.get("cpu_temperature_c") == null ? "unreadable" : cpu.get("cpu_temperature_c") + " C",
                ((List<?>) cpu.get("nvidia_gpus")).isEmpty() ? "none" : cpu.get("nvidia_gpus"));
        Map<String, Object> mem = (Map<String, Object>) doc.get("memory");
        Object total = mem.get("total_bytes");
        Object avail = mem.get("available_bytes");
        out.printf("memory       %s total, %s available, JVM heap up to %s%n",
                total == null ? "?" : Format.bytes((Long) total), avail == null ? "?" : Format.bytes((Long) avail),
                Format.bytes((Long) mem.get("jvm_max_heap_bytes")));
        Map<String, Object> java = (Map<String, Object>) doc.get("java");
        int bits = (Integer) java.get("vector_bits");
        out.printf("java         %s (%s), Vector API %s%n", java.get("version"), java.get("vendor"),
                bits == 0 ? "off (scalar kernels)" : bits + "-bit preferred species");
    }
}
