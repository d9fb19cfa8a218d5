package dev.edgerun.cli;

import dev.edgerun.finetune.Digits;
import dev.edgerun.finetune.Evaluation;
import dev.edgerun.finetune.Exporter;
import dev.edgerun.finetune.FinetuneJob;
import dev.edgerun.finetune.Head;
import dev.edgerun.finetune.TrainConfig;
import dev.edgerun.finetune.Trainer;
import dev.edgerun.finetune.nn.Network;
import dev.edgerun.finetune.nn.Optimizer;
import dev.edgerun.finetune.nn.Schedule;
import dev.edgerun.quant.QuantMode;
import dev.edgerun.quant.QuantOptions;
import dev.edgerun.quant.Quantizer;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.data.Preprocessing;
import dev.edgerun.runtime.io.Json;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code edgerun demo}: on the bundled 8x8 digits, trains a small CNN from scratch on digits 0-4,
 * fine-tunes it to the new digits 5-9 from 10 examples per class (frozen backbone, then
 * {@code --unfreeze 2}), exports ONNX, quantizes to int8, runs every variant on every engine, and
 * prints one table of accuracy, size and latency. Exit status 1 when the engines' predictions on the
 * fine-tuned float model differ.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train a small CNN from scratch on digits 0-4, fine-tune it to digits 5-9 from 10 examples per class, "
                + "quantize it, and compare accuracy, size and latency on every engine.")
final class DemoCommand implements Callable<Integer> {
    private static final double AGREEMENT = 1e-4;
    private static final int FEW_SHOT = 10;

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "where to write the fine-tuned model (default: digits_5-9.onnx in the demo folder); the other files go beside it")
    Path output;

    @Option(names = "--runs", defaultValue = "200", description = "timed single-image runs per engine and variant (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--seed", defaultValue = "7", description = "seed of weights, shuffles and the few-shot pick (default: ${DEFAULT-VALUE})")
    long seed;

    /** One model file the table compares. */
    private record Variant(String name, Path file) {}

    /** One (variant, engine) cell of the table. */
    private record Row(String variant, String engine, boolean ran, String detail, double accuracy, long bytes,
                       double medianUs, float[] firstOutput, int[] predictions) {}

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter log = common.json ? spec.commandLine().getErr() : out;
        long start = System.nanoTime();
        Path file = output != null ? output : Path.of(System.getProperty("java.io.tmpdir"), "edgerun-demo", "digits_5-9.onnx");
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Digits digits = Digits.load();
        List<String> steps = new ArrayList<>();

        Digits.Set old = digits.select(0, d -> d <= 4, Integer.MAX_VALUE);
        Path base = dir.resolve("digits_0-4.onnx");
        double baseAccuracy = trainFromScratch(old, digits.select(1, d -> d <= 4, Integer.MAX_VALUE), base);
        steps.add(step(log, start, String.format(Locale.ROOT, "trained %s from scratch on %d images of digits 0-4: %.1f%% on their %d test images",
                "a small CNN (" + DemoModel.describe() + ")", old.count(), 100 * baseAccuracy, digits.select(1, d -> d <= 4, Integer.MAX_VALUE).count())));

        Digits.Set few = digits.select(0, d -> d >= 5, FEW_SHOT);
        Path fewDir = writeFolder(dir.resolve("fewshot_5-9"), few);
        Path frozen = dir.resolve("digits_5-9_frozen.onnx");
        FinetuneJob.Result fr = finetune(base, fewDir, frozen, 0, 60, 1e-2);
        steps.add(step(log, start, String.format(Locale.ROOT, "fine-tuned to digits 5-9 from %d examples per class, frozen backbone (cut at '%s'): %s",
                FEW_SHOT, fr.plan().cut(), fr.network())));
        FinetuneJob.Result ur = finetune(base, fewDir, file, 2, 60, 3e-3);
        steps.add(step(log, start, String.format(Locale.ROOT, "fine-tuned again with --unfreeze 2 (trains %s)", ur.network())));

        List<Variant> variants = new ArrayList<>(List.of(new Variant("5-9 frozen backbone", frozen), new Variant("5-9 --unfreeze 2", file)));
        Path int8 = dir.resolve(stem(file) + "_int8.onnx");
        String quantNote = quantize(file, fewDir, int8);
        if (quantNote == null) {
            variants.add(new Variant("5-9 --unfreeze 2, int8", int8));
            steps.add(step(log, start, "quantized to int8 (static QDQ, calibrated on the " + few.count() + " training images)"));
        } else {
            steps.add(step(log, start, "int8 quantization skipped: " + quantNote));
        }

        Digits.Set test = digits.select(1, d -> d >= 5, Integer.MAX_VALUE);
        int[] target = Arrays.stream(test.digits()).map(d -> d - 5).toArray();
        List<Row> rows = new ArrayList<>();
        for (Variant v : variants) {
            try (Model m = Edgerun.load(v.file())) {
                for (Engine e : Edgerun.engines()) rows.add(measure(v, m, e, test, target));
            }
        }
        steps.add(step(log, start, "ran every variant on every engine over the " + test.count() + " test images of digits 5-9"));
        double maxDiff = maxDifference(rows, "5-9 --unfreeze 2");
        boolean agree = samePredictions(rows, "5-9 --unfreeze 2") && maxDiff <= AGREEMENT;
        double seconds = (System.nanoTime() - start) / 1e9;
        if (common.json) out.println(Json.write(document(file, rows, maxDiff, agree, steps, baseAccuracy, seconds)));
        else printTable(out, rows, maxDiff, agree, seconds, dir);
        out.flush();
        return agree ? Main.OK : Main.CHECK_FAILED;
    }

    /** Trains {@link DemoModel} on digits 0-4 and writes it as ONNX; returns its test accuracy. */
    private double trainFromScratch(Digits.Set train, Digits.Set test, Path file) {
        Network net = DemoModel.build(5, seed);
        TrainConfig c = new TrainConfig(12, 32, 3e-3, Optimizer.Kind.ADAM, 0.9f, 0f, Schedule.parse("cosine"), 0, 0, seed, 0f, null);
        Trainer.train(net, train.images(), train.digits(), train.count(), c, null, null, Trainer.Progress.NONE, null);
        Graph input = Graph.builder("digits_cnn").input(Value.tensor("input", DType.FLOAT,
                dev.edgerun.runtime.Shape.symbolic(new long[] {-1, 1, 8, 8}, new String[] {"batch", null, null, null}))).build();
        Preprocessing p = Preprocessing.forInput(input.inputs().get(0), Map.of()).with("scale", "0.0625");
        try (Model m = Exporter.export(null, input, "input", net, List.of("0", "1", "2", "3", "4"), p.toMetadata())) {
            FinetuneJob.writeAtomically(m, file);
        }
        float[] logits = net.forward(test.images(), test.count());
        int correct = 0;
        for (int i = 0; i < test.count(); i++) {
            int best = 0;
            for (int j = 1; j < 5; j++) if (logits[i * 5 + j] > logits[i * 5 + best]) best = j;
            if (best == test.digits()[i]) correct++;
        }
        return (double) correct / test.count();
    }

    private FinetuneJob.Result finetune(Path base, Path data, Path out, int unfreeze, int epochs, double lr) {
        TrainConfig c = new TrainConfig(epochs, 10, lr, Optimizer.Kind.ADAM, 0.9f, 0f, Schedule.parse("cosine"), 0, 0, seed, 0f, null);
        return new FinetuneJob(base, data, out, null, Head.parse("linear"), unfreeze, c, Map.of(), true,
                common.sessionOptions(), null, null).run(s -> {}, Trainer.Progress.NONE);
    }

    /** Static int8 (QDQ) quantization; returns null on success, else why it was skipped. */
    private String quantize(Path model, Path calibration, Path out) {
        try (Model m = Edgerun.load(model);
             dev.edgerun.quant.DataFolder cal = dev.edgerun.quant.DataFolder.read(calibration, m.graph().requiredInputs());
             Quantizer.Result q = Quantizer.quantize(m, QuantOptions.builder(QuantMode.STATIC).build(), cal)) {
            FinetuneJob.writeAtomically(q.model(), out);
            return null;
        } catch (EdgerunException | IllegalArgumentException | IllegalStateException e) {
            return e.getMessage();
        }
    }

    private Row measure(Variant v, Model m, Engine engine, Digits.Set test, int[] target) throws IOException {
        long bytes = Files.size(v.file());
        Engine.Availability a = engine.availability();
        if (!a.available()) return new Row(v.name(), engine.name(), false, "not available: " + a.detail(), 0, bytes, 0, null, null);
        try (Session s = Edgerun.session(m, common.sessionOptions(engine.name()))) {
            int[] predicted = Evaluation.predict(s, test.images(), DemoModel.INPUT, test.count(), 64);
            int correct = 0;
            for (int i = 0; i < predicted.length; i++) if (predicted[i] == target[i]) correct++;
            float[] first;
            Latency latency = new Latency();
            try (Tensor x = Tensor.of(Arrays.copyOf(test.images(), 64), 1, 1, 8, 8)) {
                Map<String, Tensor> feed = Map.of(s.inputs().get(0).name(), x);
                try (RunResult r = s.run(feed)) {
                    first = r.get(0).toFloatArray();
                }
                for (int i = 0; i < Math.max(10, runs / 4); i++) s.run(feed).close(); // warm-up: let the JIT compile first
                for (int i = 0; i < runs; i++) {
                    long t = System.nanoTime();
                    s.run(feed).close();
                    latency.add(System.nanoTime() - t);
                }
            }
            return new Row(v.name(), engine.name(), true, s.description(), (double) correct / test.count(), bytes,
                    runs > 0 ? latency.percentileMicros(50) : Double.NaN, first, predicted);
        } catch (EdgerunException e) {
            return new Row(v.name(), engine.name(), false, "cannot run: " + e.getMessage(), 0, bytes, 0, null, null);
        }
    }

    private static Path writeFolder(Path dir, Digits.Set set) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        long[] labels = Arrays.stream(set.digits()).asLongStream().toArray();
        try (Tensor x = Tensor.of(set.images(), set.count(), 1, 8, 8); Tensor y = Tensor.of(labels, set.count())) {
            Npy.write(x, dir.resolve("images.npy"));
            Npy.write(y, dir.resolve("labels.npy"));
        }
        return dir;
    }

    private static String step(PrintWriter log, long start, String what) {
        String line = String.format(Locale.ROOT, "[%5.1f s] %s", (System.nanoTime() - start) / 1e9, what);
        log.println(line);
        log.flush();
        return what;
    }

    /** Whether every engine that ran {@code variant} predicted the same class for every test image. */
    private static boolean samePredictions(List<Row> rows, String variant) {
        List<Row> ran = rows.stream().filter(r -> r.ran() && r.variant().equals(variant)).toList();
        if (ran.isEmpty()) return false;
        for (Row r : ran) if (!Arrays.equals(r.predictions(), ran.get(0).predictions())) return false;
        return true;
    }

    private static double maxDifference(List<Row> rows, String variant) {
        float[] ref = null;
        double max = 0;
        for (Row r : rows) {
            if (!r.ran() || !r.variant().equals(variant)) continue;
            if (ref == null) {
                ref = r.firstOutput();
                continue;
            }
            for (int i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(ref[i] - r.firstOutput()[i]));
        }
        return max;
    }

    private void printTable(PrintWriter out, List<Row> rows, double maxDiff, boolean agree, double seconds, Path dir) {
        out.println();
        out.printf("%-26s %-12s %10s %10s %12s%n", "model (test: digits 5-9)", "engine", "accuracy", "size", "latency p50");
        for (Row r : rows) {
            if (!r.ran()) {
                out.printf("%-26s %-12s %s%n", r.variant(), r.engine(), r.detail());
                continue;
            }
            out.printf(Locale.ROOT, "%-26s %-12s %9.1f%% %10s %12s%n", r.variant(), r.engine(), 100 * r.accuracy(),
                    Format.bytes(r.bytes()), Double.isNaN(r.medianUs()) ? "-" : Format.micros(r.medianUs()));
        }
        out.println();
        long engines = rows.stream().filter(r -> r.ran() && r.variant().equals("5-9 --unfreeze 2")).count();
        if (engines > 1) {
            out.printf(Locale.ROOT, "Engines %s on the fine-tuned model: largest probability difference %.2e (tolerance %.0e).%n",
                    agree ? "agree" : "DISAGREE", maxDiff, AGREEMENT);
        }
        out.printf(Locale.ROOT, "Latency: one image, median of %d runs. Files in %s. Done in %.1f s.%n", runs, dir, seconds);
    }

    private Map<String, Object> document(Path file, List<Row> rows, double maxDiff, boolean agree, List<String> steps,
                                         double baseAccuracy, double seconds) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("file", file.toString());
        model.put("bytes", Files.size(file));
        model.put("description", "CNN trained from scratch on digits 0-4, fine-tuned with --unfreeze 2 to digits 5-9 from "
                + FEW_SHOT + " examples per class");
        doc.put("model", model);
        doc.put("steps", steps);
        doc.put("base_accuracy", baseAccuracy);
        List<Map<String, Object>> table = new ArrayList<>();
        List<Map<String, Object>> engines = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("variant", r.variant());
            m.put("engine", r.engine());
            m.put("ran", r.ran());
            m.put("detail", r.detail());
            m.put("accuracy", r.ran() ? r.accuracy() : null);
            m.put("bytes", r.bytes());
            m.put("median_us", r.ran() && !Double.isNaN(r.medianUs()) ? r.medianUs() : null);
            table.add(m);
            if (r.variant().equals("5-9 --unfreeze 2")) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("engine", r.engine());
                e.put("ran", r.ran());
                e.put("detail", r.detail());
                e.put("output", r.firstOutput() == null ? null : toDoubles(r.firstOutput()));
                e.put("argmax", r.firstOutput() == null ? null : argmax(r.firstOutput()));
                e.put("median_us", m.get("median_us"));
                engines.add(e);
            }
        }
        doc.put("table", table);
        doc.put("engines", engines);
        doc.put("max_abs_difference", maxDiff);
        doc.put("agree", agree);
        doc.put("seconds", seconds);
        return doc;
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".onnx") ? n.substring(0, n.length() - 5) : n;
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
