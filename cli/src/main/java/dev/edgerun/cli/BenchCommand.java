package dev.edgerun.cli;

import dev.edgerun.devices.tune.AutoOptions;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.engine.NativeSession;
import dev.edgerun.runtime.io.Json;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code edgerun bench MODEL}: latency percentiles, throughput, load time and peak memory. With
 * {@code --compare} two engines run in one process on the same inputs, interleaved run by run
 * (and alternating which goes first) so that clock and thermal drift hit both alike.
 *
 * <p>What is timed, for every engine alike: {@link Session#run(Map)} until it returns its result,
 * the API style ONNX Runtime's own Java API has (it also allocates its results). Closing the result
 * is not timed: the ONNX Runtime adapter frees one shared arena per result, about 18 us on
 * mlp_tiny, which is Edgerun's adapter and not ONNX Runtime (whose Java API measured 5.3 us for
 * run and close together there, against 4.4 us for the adapter's run alone), while the native
 * engine's close only gives a block back to its pool.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure latency (median, p90, p99), throughput, load time and peak memory of a model.")
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "MODEL", description = "the model file")
    Path file;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "100", description = "timed runs per engine (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "10", description = "untimed runs first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "1",
            description = "keep warming up until S seconds have passed too, so the JIT has compiled the hot code "
                    + "(default: ${DEFAULT-VALUE})")
    double warmupSeconds;

    @Option(names = "--seconds", paramLabel = "S", description = "run for S seconds instead of a number of runs")
    double seconds;

    @Option(names = "--compare", description = "run two engines side by side: native and onnxruntime, or the two of --engine a,b")
    boolean compare;

    @Option(names = "--shape", paramLabel = "NAME=DIMS", description = "input shape, e.g. input=1x3x224x224 (symbolic dims default to 1)")
    Map<String, String> shapes = new LinkedHashMap<>();

    @Option(names = "--seed", defaultValue = "42", description = "seed of the random inputs (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--kernels", paramLabel = "PROVIDER",
            description = "kernels of the native engine: auto (each node takes the best provider that supports it), "
                    + "java (Vector API), scalar, onednn or xnnpack (that provider, scalar kernels as the fallback); "
                    + "default: the edgerun.kernels system property, else auto")
    String kernels;

    /** The tuned choice under --profile auto (never with --compare). */
    private Optional<AutoOptions> tuned = Optional.empty();

    /** One engine under test. */
    private record Runner(String engine, Session session, double compileMs, double firstRunMs, Latency latency) {}

    @Override
    public Integer call() {
        tuned = compare ? Optional.empty() : common.tuned(file, spec.commandLine().getErr());
        List<String> engines = tuned.map(a -> List.of(a.options().engine())).orElseGet(this::engineNames);
        if (runs < 1 && seconds <= 0) throw new IllegalArgumentException("--runs must be >= 1, got " + runs);
        // --kernels is set before the clock starts; the native engine finds its kernel providers
        // (loading oneDNN, XNNPACK) in its own compile, as it would without the option.
        try (ForcedKernels forced = ForcedKernels.of(kernels)) {
            long t0 = System.nanoTime();
            try (Model model = Edgerun.load(tuned.map(AutoOptions::modelFile).orElse(file))) {
                double loadMs = (System.nanoTime() - t0) / 1e6;
                Map<String, Tensor> inputs = RandomInputs.create(model.graph(), shapes, seed);
                List<Runner> runners = new ArrayList<>();
                try {
                    for (String e : engines) runners.add(compile(model, e, inputs));
                    forced.checkAvailable();
                    measure(runners, inputs);
                    // Read before anything else runs: reporting is not part of either engine's peak.
                    long peakRss = ProcessMemory.peakRssBytes();
                    report(loadMs, inputs, runners, peakRss);
                } finally {
                    runners.forEach(r -> r.session().close());
                    inputs.values().forEach(Tensor::close);
                }
            }
        }
        return Main.OK;
    }

    private List<String> engineNames() {
        List<String> named = List.of(common.engine.split(","));
        if (!compare) {
            if (named.size() != 1) throw new IllegalArgumentException("--engine " + common.engine
                    + " names several engines; add --compare to run them side by side");
            return named;
        }
        if (named.size() == 2) return named;
        if (named.size() > 2) throw new IllegalArgumentException("--compare takes two engines, got " + named);
        return List.of("native", "onnxruntime");
    }

    /** With --compare both engines get the same thread count: --threads, else one per core. */
    private int threads() {
        return compare && common.threads == 0 ? Runtime.getRuntime().availableProcessors() : common.threads;
    }

    /** Compiles one engine's session and times its first run (cold code, first-use allocations). */
    private Runner compile(Model model, String engine, Map<String, Tensor> inputs) {
        long t0 = System.nanoTime();
        Session s = Edgerun.session(model, tuned.map(AutoOptions::options)
                .orElseGet(() -> common.sessionOptions(engine).toBuilder().threads(threads()).build()));
        long t1 = System.nanoTime();
        s.run(inputs).close();
        long t2 = System.nanoTime();
        return new Runner(engine, s, (t1 - t0) / 1e6, (t2 - t1) / 1e6, new Latency());
    }

    private void measure(List<Runner> runners, Map<String, Tensor> inputs) {
        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < warmup || System.nanoTime() < warmupEnd; i++) {
            for (Runner r : runners) runOnce(r, inputs, false);
        }
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        for (int round = 0; seconds > 0 ? System.nanoTime() < deadline : round < runs; round++) {
            for (int k = 0; k < runners.size(); k++) {
                // Alternate which engine goes first so neither always runs on a cache warmed by the other.
                int idx = round % 2 == 0 ? k : runners.size() - 1 - k;
                runOnce(runners.get(idx), inputs, true);
            }
        }
    }

    private static void runOnce(Runner r, Map<String, Tensor> inputs, boolean timed) {
        long t0 = System.nanoTime();
        RunResult result = r.session().run(inputs);
        long t1 = System.nanoTime();
        result.close();
        if (timed) r.latency().add(t1 - t0);
    }

    private void report(double loadMs, Map<String, Tensor> inputs, List<Runner> runners, long peakRss) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("model", file.toString());
        Map<String, Object> in = new LinkedHashMap<>();
        inputs.forEach((n, t) -> in.put(n, Format.type(t)));
        doc.put("inputs", in);
        doc.put("warmup", warmup);
        doc.put("warmup_seconds", warmupSeconds);
        doc.put("threads", threads());
        doc.put("kernels", kernels == null ? System.getProperty(KernelSelection.PROPERTY, "auto") : kernels);
        doc.put("kernel_providers", KernelSelection.defaults().providers().stream().map(KernelProvider::name).toList());
        doc.put("timed", "Session.run(Map) until the result is returned (closing it is not timed)");
        doc.put("interleaved", runners.size() > 1);
        doc.put("load_ms", loadMs);
        Map<String, Object> perEngine = new LinkedHashMap<>();
        for (Runner r : runners) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("description", r.session().description());
            m.put("compile_ms", r.compileMs());
            m.put("load_compile_ms", loadMs + r.compileMs());
            m.put("first_run_ms", r.firstRunMs());
            m.put("time_to_first_result_ms", loadMs + r.compileMs() + r.firstRunMs());
            m.putAll(r.latency().summary());
            if (r.session() instanceof NativeSession ns) {
                // From the measured session itself: compiling another one here would count in this engine's peak RSS.
                long arena = ns.plannedPeakBytes();
                m.put("planned_arena_bytes", arena < 0 ? null : arena);
            }
            perEngine.put(r.engine(), m);
        }
        doc.put("engines", perEngine);
        if (runners.size() == 2) {
            doc.put("ratio", runners.get(0).latency().percentileMicros(50) / runners.get(1).latency().percentileMicros(50));
        }
        doc.put("peak_rss_bytes", peakRss < 0 ? null : peakRss);
        PrintWriter out = spec.commandLine().getOut();
        if (common.json) out.println(Json.write(doc));
        else printText(out, doc, runners);
        out.flush();
    }

    @SuppressWarnings("unchecked")
    private void printText(PrintWriter out, Map<String, Object> doc, List<Runner> runners) {
        out.printf(Locale.ROOT, "%s  inputs %s, %s threads, warm-up %d runs and %.1f s%s, load %.1f ms%n", file, doc.get("inputs"),
                threads() == 0 ? "default" : Integer.toString(threads()), warmup, warmupSeconds,
                runners.size() > 1 ? ", engines interleaved" : "", (Double) doc.get("load_ms"));
        out.printf("%-12s %9s %11s %11s %11s %11s %11s %12s%n", "engine", "runs", "compile", "1st run", "median", "p90", "p99",
                "throughput");
        Map<String, Object> engines = (Map<String, Object>) doc.get("engines");
        for (Runner r : runners) {
            Map<String, Object> m = (Map<String, Object>) engines.get(r.engine());
            out.printf(Locale.ROOT, "%-12s %9d %8.1f ms %8.1f ms %11s %11s %11s %10.1f/s%n", r.engine(), (Integer) m.get("runs"),
                    r.compileMs(), r.firstRunMs(), Format.micros((Double) m.get("median_us")), Format.micros((Double) m.get("p90_us")),
                    Format.micros((Double) m.get("p99_us")), (Double) m.get("throughput_per_s"));
        }
        for (Runner r : runners) out.printf("  %s: %s%n", r.engine(), r.session().description());
        for (Runner r : runners) {
            Map<String, Object> m = (Map<String, Object>) engines.get(r.engine());
            out.printf(Locale.ROOT, "  %s: first result after %.1f ms = load %.1f + compile %.1f + first run %.1f%n", r.engine(),
                    (Double) m.get("time_to_first_result_ms"), (Double) doc.get("load_ms"), r.compileMs(), r.firstRunMs());
        }
        out.println("  measured alike: the same load, Session.run(Map) timed the same way for every engine, and nothing"
                + " bench adds (reporting, --kernels) inside an engine's times or peak memory");
        if (runners.stream().anyMatch(r -> r.engine().equals("native"))) {
            out.printf("  native kernels: %s%n", doc.get("kernels"));
        }
        if (doc.containsKey("ratio")) {
            out.printf(Locale.ROOT, "ratio of medians %s/%s = %.3f%n", runners.get(0).engine(), runners.get(1).engine(),
                    (Double) doc.get("ratio"));
        }
        Object hwm = doc.get("peak_rss_bytes");
        out.println("peak memory: process RSS " + (hwm == null ? "n/a" : Format.bytes((Long) hwm)) + arenaText(engines)
                + (runners.size() > 1 ? " (both engines in one process: run each alone, --engine NAME, for its own peak)" : ""));
    }

    @SuppressWarnings("unchecked")
    private static String arenaText(Map<String, Object> engines) {
        Object nat = engines.get("native");
        if (!(nat instanceof Map<?, ?> m)) return "";
        Object arena = ((Map<String, Object>) m).get("planned_arena_bytes");
        return ", native planned arena " + (arena == null ? "n/a" : Format.bytes((Long) arena));
    }

    /**
     * {@code --kernels}: sets {@value KernelSelection#PROPERTY} for the sessions this command
     * compiles and restores the previous value on close (tests run commands in one JVM). Only the
     * provider's name is checked when it is set; whether it can load here ({@link #checkAvailable})
     * is asked after the sessions are compiled, so that loading the native kernel libraries counts in
     * the native engine's compile time, where it happens without the option.
     */
    private static final class ForcedKernels implements AutoCloseable {
        /** The names of the providers KernelSelection always adds (naming them here initializes no Vector API class). */
        private static final List<String> JAVA_PROVIDERS = List.of("java", "scalar");

        private final String provider;   // null: the option was not given
        private final String previous;   // "" when the property was not set

        private ForcedKernels(String provider, String previous) {
            this.provider = provider;
            this.previous = previous;
        }

        static ForcedKernels of(String provider) {
            if (provider == null) return new ForcedKernels(null, null);
            List<String> known = knownProviders();
            if (!provider.equals("auto") && !known.contains(provider)) {
                throw new IllegalArgumentException("--kernels " + provider + ": no such kernel provider; known: " + known
                        + " (or auto)");
            }
            String previous = System.getProperty(KernelSelection.PROPERTY);
            System.setProperty(KernelSelection.PROPERTY, provider);
            KernelSelection.resetDefaults();
            return new ForcedKernels(provider, previous == null ? "" : previous);
        }

        /** The names of the kernel providers on the class path, without loading their libraries. */
        private static List<String> knownProviders() {
            List<String> names = new ArrayList<>();
            for (KernelProvider p : ServiceLoader.load(KernelProvider.class)) names.add(p.name());
            names.addAll(JAVA_PROVIDERS);
            return names;
        }

        /** Refuses a forced provider that cannot run here, naming those that can. */
        void checkAvailable() {
            if (provider == null || provider.equals("auto")) return;
            List<String> available = KernelSelection.defaults().providers().stream().map(KernelProvider::name).toList();
            if (!available.contains(provider)) {
                throw new IllegalArgumentException("--kernels " + provider + ": this kernel provider is not available here;"
                        + " available: " + available + " (or auto)");
            }
        }

        @Override
        public void close() {
            if (provider == null) return;
            if (previous.isEmpty()) System.clearProperty(KernelSelection.PROPERTY);
            else System.setProperty(KernelSelection.PROPERTY, previous);
            KernelSelection.resetDefaults();
        }
    }
}
