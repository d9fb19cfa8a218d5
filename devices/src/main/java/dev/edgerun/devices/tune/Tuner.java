package dev.edgerun.devices.tune;

import ai.onnxruntime.OrtEnvironment;
import dev.edgerun.devices.OnnxRuntimeEngine;
import dev.edgerun.devices.probe.DeviceFacts;
import dev.edgerun.devices.providers.ExecutionProvider;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Measures a model on every engine x device x thread count (x int8 variant) this machine offers, a
 * fixed time per configuration, and picks the configuration with the lowest median latency.
 */
public final class Tuner {
    private static final int MIN_TIMED_RUNS = 5;

    private final double secondsPerConfiguration;
    private final Function<Model, Map<String, Tensor>> inputs;

    /** {@code inputs} makes the input tensors for a loaded model (the caller owns nothing it returns: the tuner closes them). */
    public Tuner(double secondsPerConfiguration, Function<Model, Map<String, Tensor>> inputs) {
        if (!(secondsPerConfiguration > 0)) throw new IllegalArgumentException("seconds per configuration must be > 0");
        this.secondsPerConfiguration = secondsPerConfiguration;
        this.inputs = inputs;
    }

    /** Thread counts worth trying: 1, half the big cores, the big cores, every logical CPU (distinct, ascending). */
    public static List<Integer> threadCounts(DeviceFacts facts) {
        int big = Math.max(1, Math.min(facts.bigCores(), Runtime.getRuntime().availableProcessors()));
        int all = Math.min(facts.logicalCpus(), Runtime.getRuntime().availableProcessors());
        return List.copyOf(new TreeSet<>(List.of(1, Math.max(1, big / 2), big, Math.max(1, all))));
    }

    /** Devices worth trying for an engine: the CPU, and for ONNX Runtime every other provider its build has. */
    public static List<String> devices(String engine) {
        if (!engine.equals(OnnxRuntimeEngine.NAME)) return List.of("cpu");
        List<String> r = new ArrayList<>(List.of("cpu"));
        var compiled = OrtEnvironment.getAvailableProviders();
        for (ExecutionProvider p : ExecutionProvider.values()) {
            if (p != ExecutionProvider.CPU && compiled.contains(p.ortProvider())) r.add(p.device());
        }
        return r;
    }

    /** The available engines among {@code wanted} (all available engines when empty). */
    public static List<String> engines(List<String> wanted) {
        List<String> r = new ArrayList<>();
        for (Engine e : Edgerun.engines()) {
            if ((wanted.isEmpty() || wanted.contains(e.name())) && e.availability().available()) r.add(e.name());
        }
        return r;
    }

    /** The full grid: every variant x engine x device x thread count. */
    public static List<Configuration> grid(Map<String, Path> variants, List<String> engines, List<Integer> threads) {
        List<Configuration> r = new ArrayList<>();
        for (var v : variants.entrySet()) {
            for (String e : engines) {
                for (String d : devices(e)) {
                    for (int t : threads) r.add(new Configuration(v.getKey(), v.getValue(), e, d, t));
                }
            }
        }
        return r;
    }

    /** Measures each configuration in turn; {@code progress} sees each result as it comes. */
    public List<Measurement> measure(List<Configuration> grid, Consumer<Measurement> progress) {
        Map<Path, Model> models = new LinkedHashMap<>();
        Set<String> warmed = new HashSet<>();
        List<Measurement> r = new ArrayList<>();
        try {
            for (Configuration c : grid) {
                // The first configuration of an engine and model also warms the JIT for the ones after it.
                boolean first = warmed.add(c.variant() + " " + c.engine());
                Measurement m = measureOne(c, models, first ? 1.0 : 0.25);
                progress.accept(m);
                r.add(m);
            }
        } finally {
            models.values().forEach(Model::close);
        }
        return r;
    }

    private Measurement measureOne(Configuration c, Map<Path, Model> models, double warmupShare) {
        Map<String, Tensor> in = Map.of();
        try {
            Model model = models.computeIfAbsent(c.modelFile(), Edgerun::load);
            in = inputs.apply(model);
            try (Session s = Edgerun.session(model, c.sessionOptions())) {
                return time(c, s, in, warmupShare);
            }
        } catch (EdgerunException | IllegalArgumentException e) {
            return Measurement.failed(c, String.valueOf(e.getMessage()).replace('\n', ' '));
        } finally {
            in.values().forEach(Tensor::close);
        }
    }

    /** Warm-up for {@code warmupShare} of the budget (at least 3 runs), then timed runs for the budget (at least 5). */
    private Measurement time(Configuration c, Session s, Map<String, Tensor> in, double warmupShare) {
        long budget = (long) (secondsPerConfiguration * 1e9);
        long warmEnd = System.nanoTime() + (long) (budget * warmupShare);
        for (int i = 0; i < 3 || System.nanoTime() < warmEnd; i++) runOnce(s, in);
        List<Long> times = new ArrayList<>();
        long end = System.nanoTime() + budget;
        while (times.size() < MIN_TIMED_RUNS || System.nanoTime() < end) times.add(runOnce(s, in));
        long[] sorted = times.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Measurement(c, percentile(sorted, 0.5), percentile(sorted, 0.9), sorted.length, s.description(), null);
    }

    private static long runOnce(Session s, Map<String, Tensor> in) {
        long t0 = System.nanoTime();
        try (RunResult ignored = s.run(in)) {
            return System.nanoTime() - t0;
        }
    }

    private static double percentile(long[] sorted, double q) {
        int i = (int) Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)));
        return sorted[i] / 1e6;
    }

    /** The profile choosing the fastest successful measurement; an exception when none ran. */
    public static TuningProfile profile(Path model, DeviceFacts facts, List<Measurement> measurements) {
        Measurement best = measurements.stream().filter(Measurement::ok)
                .min(Comparator.comparingDouble(Measurement::medianMs))
                .orElseThrow(() -> new EdgerunException(model + ": no configuration ran; "
                        + Arrays.toString(measurements.stream().map(Measurement::error).toArray())));
        return new TuningProfile(ProfileStore.sha256(model), model.toAbsolutePath(), best.configuration(),
                best.medianMs(), facts.cpuModel(), Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), measurements);
    }
}
