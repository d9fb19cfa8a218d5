package dev.edgerun.cli;

import dev.edgerun.devices.OnnxRuntimeEngine;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.kernels.Vectors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code edgerun devices}: engines, ONNX Runtime providers and facts about this machine. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the engines, ONNX Runtime execution providers and device facts available here.")
final class DevicesCommand implements Callable<Integer> {

    /** CPU flags that matter to inference kernels (x86 "flags" and ARM "Features" of /proc/cpuinfo). */
    private static final Set<String> KERNEL_FLAGS = Set.of("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f",
            "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_int8",
            "amx_bf16", "neon", "asimd", "asimdhp", "asimddp", "fphp", "i8mm", "bf16", "sve", "sve2", "sme");

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
        return r;
    }

    private static Map<String, Object> onnxRuntime() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", OnnxRuntimeEngine.ortVersion());
        m.put("providers", OnnxRuntimeEngine.availableProviders());
        return m;
    }

    private static Map<String, Object> cpu() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arch", System.getProperty("os.arch"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        String model = null;
        Set<String> flags = new TreeSet<>();
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            for (String line : Files.readAllLines(cpuinfo)) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (model == null && (key.equals("model name") || key.equals("Model") || key.equals("Hardware"))) model = value;
                if (key.equals("flags") || key.equals("Features")) {
                    for (String f : value.split("\\s+")) if (KERNEL_FLAGS.contains(f)) flags.add(f);
                }
            }
        }
        m.put("model", model);
        m.put("features", List.copyOf(flags));
        return m;
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
        out.printf("onnxruntime  %s, providers %s%n", ort.get("version"), ort.get("providers"));
        Map<String, Object> cpu = (Map<String, Object>) doc.get("cpu");
        out.printf("cpu          %s, %s cores, %s, %s%n", cpu.get("model"), cpu.get("cores"), cpu.get("arch"), cpu.get("os"));
        out.printf("cpu features %s%n", String.join(" ", (List<String>) cpu.get("features")));
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
