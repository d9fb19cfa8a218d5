package dev.edgerun.cli;

import dev.edgerun.devices.probe.DeviceFacts;
import dev.edgerun.devices.probe.DeviceProbe;
import dev.edgerun.devices.tune.Configuration;
import dev.edgerun.devices.tune.Measurement;
import dev.edgerun.devices.tune.ProfileStore;
import dev.edgerun.devices.tune.Tuner;
import dev.edgerun.devices.tune.TuningProfile;
import dev.edgerun.runtime.io.Json;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code edgerun tune MODEL}: measures engine x device x threads (x an int8 variant) here, prints the
 * table and writes the profile that {@code --profile auto} uses.
 */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = "Measure every engine x device x thread count (and an int8 variant) on this machine, print the "
                + "table and write a profile that 'run --profile auto' and 'bench --profile auto' use.")
final class TuneCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "the model file")
    Path file;

    @Option(names = "--int8", paramLabel = "FILE", description = "an int8 variant of MODEL (e.g. from 'edgerun quantize') to measure too")
    Path int8;

    @Option(names = "--engines", paramLabel = "LIST", split = ",", description = "engines to try (default: every available one)")
    List<String> engines = new ArrayList<>();

    @Option(names = "--threads", paramLabel = "LIST", split = ",",
            description = "thread counts to try (default: 1, half the big cores, the big cores, all CPUs)")
    List<Integer> threads = new ArrayList<>();

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "1.0",
            description = "timed seconds per configuration, after a quarter of that warming up (a whole one for an engine's "
                    + "first configuration, which warms the JIT) (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the random inputs (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--no-save", description = "print the table only; write no profile")
    boolean noSave;

    @Option(names = "--json", description = "print one JSON document on standard output instead of text")
    boolean json;

    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such file");
        if (int8 != null && !Files.isRegularFile(int8)) throw new IllegalArgumentException("--int8 " + int8 + ": no such file");
        for (int t : threads) if (t < 1) throw new IllegalArgumentException("--threads " + t + ": must be >= 1");
        DeviceFacts facts = DeviceProbe.local().probe();
        Map<String, Path> variants = new LinkedHashMap<>();
        variants.put("model", file);
        if (int8 != null) variants.put("int8", int8);
        List<String> usable = Tuner.engines(engines);
        if (usable.isEmpty()) throw new IllegalArgumentException("none of the engines " + engines + " is available here");
        List<Configuration> grid = Tuner.grid(variants, usable, threads.isEmpty() ? Tuner.threadCounts(facts) : threads);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!json) {
            out.printf(Locale.ROOT, "tuning %s: %d configurations, about %.1f s each%n", file, grid.size(), seconds * 1.25);
            out.printf("%-7s %-12s %-8s %7s %10s %10s %7s%n", "variant", "engine", "device", "threads", "median ms",
                    "p90 ms", "runs");
        }
        Tuner tuner = new Tuner(seconds, model -> RandomInputs.create(model.graph(), Map.of(), seed));
        List<Measurement> all = tuner.measure(grid, m -> {
            if (!json) printRow(out, m);
        });
        TuningProfile profile = Tuner.profile(file, facts, all);
        Path written = noSave ? null : ProfileStore.standard().save(profile);
        if (json) out.println(Json.write(document(profile, written)));
        else printBest(out, profile, written);
        out.flush();
        err.flush();
        return Main.OK;
    }

    private static void printRow(PrintWriter out, Measurement m) {
        Configuration c = m.configuration();
        if (m.ok()) {
            out.printf(Locale.ROOT, "%-7s %-12s %-8s %7d %10.3f %10.3f %7d%n", c.variant(), c.engine(), c.device(),
                    c.threads(), m.medianMs(), m.p90Ms(), m.runs());
        } else {
            out.printf("%-7s %-12s %-8s %7d   failed: %s%n", c.variant(), c.engine(), c.device(), c.threads(), m.error());
        }
        out.flush();
    }

    private void printBest(PrintWriter out, TuningProfile p, Path written) {
        out.printf(Locale.ROOT, "best: %s (%.3f ms median)%n", p.best(), p.bestMedianMs());
        if (written != null) {
            out.printf("profile written to %s; use it with: edgerun run %s --profile auto ...%n", written, file);
        }
    }

    private Map<String, Object> document(TuningProfile p, Path written) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("model", file.toString());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Measurement m : p.measurements()) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("variant", m.configuration().variant());
            r.put("engine", m.configuration().engine());
            r.put("device", m.configuration().device());
            r.put("threads", m.configuration().threads());
            r.put("median_ms", m.ok() ? m.medianMs() : null);
            r.put("p90_ms", m.ok() ? m.p90Ms() : null);
            r.put("runs", m.runs());
            r.put("error", m.error());
            rows.add(r);
        }
        doc.put("measurements", rows);
        Map<String, Object> best = new LinkedHashMap<>();
        best.put("variant", p.best().variant());
        best.put("model_file", p.best().modelFile().toString());
        best.put("engine", p.best().engine());
        best.put("device", p.best().device());
        best.put("threads", p.best().threads());
        best.put("median_ms", p.bestMedianMs());
        doc.put("best", best);
        doc.put("profile", written == null ? null : written.toString());
        return doc;
    }
}
