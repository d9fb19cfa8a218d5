package dev.edgerun.cli;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import java.io.IOException;
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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code edgerun demo}: builds a small model with Edgerun's own IR builder, writes it as ONNX, runs
 * it on every engine available here, and shows outputs, timings and whether the engines agree.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Build a small model in code, run it on every available engine, compare outputs and timings.")
final class DemoCommand implements Callable<Integer> {
    private static final double AGREEMENT = 1e-5;

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "where to write the demo model (default: demo_mlp.onnx in the temporary folder)")
    Path output;

    @Option(names = "--runs", defaultValue = "200", description = "timed runs per engine (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--seed", defaultValue = "7", description = "seed of weights and input (default: ${DEFAULT-VALUE})")
    long seed;

    /** What one engine did with the demo model. */
    private record Outcome(String engine, boolean ran, String detail, float[] output, double firstRunUs, double medianUs) {}

    @Override
    public Integer call() throws IOException {
        Path file = output != null ? output : Path.of(System.getProperty("java.io.tmpdir"), "demo_mlp.onnx");
        List<Outcome> outcomes = new ArrayList<>();
        try (Model model = DemoModel.build(seed); Tensor input = DemoModel.input(seed)) {
            OnnxModels.write(model, file);
            for (Engine e : Edgerun.engines()) outcomes.add(tryEngine(e, model, input));
        }
        double maxDiff = maxDifference(outcomes);
        long ran = outcomes.stream().filter(Outcome::ran).count();
        boolean agree = ran > 0 && maxDiff <= AGREEMENT;
        PrintWriter out = spec.commandLine().getOut();
        if (common.json) out.println(Json.write(document(file, outcomes, maxDiff, agree)));
        else printText(out, file, outcomes, maxDiff, agree);
        out.flush();
        return agree ? Main.OK : Main.CHECK_FAILED;
    }

    private Outcome tryEngine(Engine engine, Model model, Tensor input) {
        Engine.Availability a = engine.availability();
        if (!a.available()) return new Outcome(engine.name(), false, "not available: " + a.detail(), null, 0, 0);
        try (Session s = Edgerun.session(model, common.sessionOptions(engine.name()))) {
            Map<String, Tensor> feed = Map.of("input", input);
            long t0 = System.nanoTime();
            float[] y;
            try (RunResult r = s.run(feed)) {
                y = r.get(0).toFloatArray();
            }
            double firstUs = (System.nanoTime() - t0) / 1e3;
            Latency latency = new Latency();
            for (int i = 0; i < runs; i++) {
                long t = System.nanoTime();
                s.run(feed).close();
                latency.add(System.nanoTime() - t);
            }
            return new Outcome(engine.name(), true, s.description(), y, firstUs, latency.percentileMicros(50));
        } catch (EdgerunException e) {
            return new Outcome(engine.name(), false, "cannot run the demo: " + e.getMessage(), null, 0, 0);
        }
    }

    /** Largest element difference between any engine's output and the first engine's; 0 with fewer than two. */
    private static double maxDifference(List<Outcome> outcomes) {
        float[] reference = null;
        double max = 0;
        for (Outcome o : outcomes) {
            if (!o.ran()) continue;
            if (reference == null) {
                reference = o.output();
                continue;
            }
            for (int i = 0; i < reference.length; i++) max = Math.max(max, Math.abs(reference[i] - o.output()[i]));
        }
        return max;
    }

    private Map<String, Object> document(Path file, List<Outcome> outcomes, double maxDiff, boolean agree) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("file", file.toString());
        model.put("bytes", Files.size(file));
        model.put("description", "64->32->10 MLP (Gemm, Relu, Gemm, Softmax), seed " + seed);
        doc.put("model", model);
        List<Map<String, Object>> engines = new ArrayList<>();
        for (Outcome o : outcomes) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("engine", o.engine());
            m.put("ran", o.ran());
            m.put("detail", o.detail());
            m.put("output", o.output() == null ? null : toDoubles(o.output()));
            m.put("argmax", o.output() == null ? null : argmax(o.output()));
            m.put("first_run_us", o.ran() ? o.firstRunUs() : null);
            m.put("median_us", o.ran() ? o.medianUs() : null);
            engines.add(m);
        }
        doc.put("engines", engines);
        doc.put("max_abs_difference", maxDiff);
        doc.put("agree", agree);
        return doc;
    }

    private void printText(PrintWriter out, Path file, List<Outcome> outcomes, double maxDiff, boolean agree)
            throws IOException {
        out.printf("Built a 64 -> 32 -> 10 perceptron (Gemm, Relu, Gemm, Softmax) with Edgerun's IR builder;%n");
        out.printf("wrote it as ONNX to %s (%s).%n%n", file, Format.bytes(Files.size(file)));
        for (Outcome o : outcomes) {
            if (!o.ran()) {
                out.printf("%-12s %s%n%n", o.engine(), o.detail());
                continue;
            }
            out.printf("%-12s %s%n", o.engine(), o.detail());
            out.printf(Locale.ROOT, "  class probabilities %s%n", preview(o.output()));
            out.printf(Locale.ROOT, "  predicted class %d; first run %s, median of %d runs %s%n%n", argmax(o.output()),
                    Format.micros(o.firstRunUs()), runs, Format.micros(o.medianUs()));
        }
        long ran = outcomes.stream().filter(Outcome::ran).count();
        if (ran == 0) out.println("No engine could run the demo model.");
        else if (ran == 1) out.println("Only one engine ran, so there is nothing to compare.");
        else out.printf(Locale.ROOT, "Engines %s: largest difference %.2e (tolerance %.0e).%n",
                agree ? "agree" : "DISAGREE", maxDiff, AGREEMENT);
    }

    private static String preview(float[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) b.append(i > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.4f", v[i]));
        return b.append(']').toString();
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }
}
