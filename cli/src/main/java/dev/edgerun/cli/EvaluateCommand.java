package dev.edgerun.cli;

import dev.edgerun.finetune.Evaluation;
import dev.edgerun.onnx.TensorProtos;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.data.DataFolder;
import dev.edgerun.runtime.data.Preprocessing;
import dev.edgerun.runtime.io.Json;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code edgerun evaluate MODEL --data DIR}: top-1 accuracy, accuracy per class and the confusion matrix. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Measure a classifier's top-1 accuracy on a labelled data folder: overall, per class, and the confusion matrix.")
final class EvaluateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    PreprocessingOptions preprocessing;

    @Parameters(paramLabel = "MODEL", description = "the classifier (.onnx or any importable format)")
    Path model;

    @Option(names = "--data", paramLabel = "DIR", required = true,
            description = "labelled data: class subfolders, images.npy + labels.npy, or test_data_set_* with labels.npy")
    Path data;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "64", description = "samples per run (default: ${DEFAULT-VALUE})")
    int batch;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Model m = Edgerun.load(model)) {
            List<Value> inputs = m.graph().requiredInputs();
            if (inputs.size() != 1) throw new IllegalArgumentException(model + ": evaluate supports models with one input, this one has " + inputs.size());
            Preprocessing p = Preprocessing.forInput(inputs.get(0), m.metadata());
            for (Map.Entry<String, String> e : preprocessing.overrides().entrySet()) p = p.with(e.getKey(), e.getValue());
            DataFolder.Samples samples = DataFolder.read(data, new DataFolder.Options(p, preprocessing.strict, TensorProtos::read,
                    w -> { err.println(w); err.flush(); }));
            Evaluation e = Evaluation.run(m, samples, common.sessionOptions(), batch);
            if (common.json) out.println(Json.write(document(e, samples)));
            else print(out, e, samples);
        }
        out.flush();
        return Main.OK;
    }

    private Map<String, Object> document(Evaluation e, DataFolder.Samples samples) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("model", model.toString());
        d.put("data", data.toString());
        d.put("engine", common.engine);
        d.put("accuracy", e.accuracy());
        d.put("count", e.count());
        d.put("correct", e.correct());
        d.put("skipped", samples.skipped().size());
        d.put("classes", e.classes());
        Map<String, Object> perClass = new LinkedHashMap<>();
        double[] a = e.perClassAccuracy();
        for (int c = 0; c < a.length; c++) perClass.put(e.classes().get(c), Double.isNaN(a[c]) ? null : a[c]);
        d.put("per_class_accuracy", perClass);
        List<List<Long>> confusion = new ArrayList<>();
        for (long[] row : e.confusion()) {
            List<Long> r = new ArrayList<>();
            for (long v : row) r.add(v);
            confusion.add(r);
        }
        d.put("confusion", confusion);
        return d;
    }

    private void print(PrintWriter out, Evaluation e, DataFolder.Samples samples) {
        out.printf(Locale.ROOT, "%s on %s (%s engine)%n", model, data, common.engine);
        out.printf(Locale.ROOT, "top-1 accuracy %.2f%% (%d of %d)%s%n%n", 100 * e.accuracy(), e.correct(), e.count(),
                samples.skipped().isEmpty() ? "" : ", " + samples.skipped().size() + " files skipped");
        int w = 6;
        for (String c : e.classes()) w = Math.max(w, c.length() + 1);
        out.printf("%-" + w + "s %8s %6s   confusion (rows: true class, columns: predicted)%n", "class", "accuracy", "count");
        double[] a = e.perClassAccuracy();
        for (int c = 0; c < a.length; c++) {
            long total = java.util.Arrays.stream(e.confusion()[c]).sum();
            StringBuilder row = new StringBuilder();
            for (long v : e.confusion()[c]) row.append(String.format(Locale.ROOT, "%5d", v));
            out.printf(Locale.ROOT, "%-" + w + "s %8s %6d   %s%n", e.classes().get(c),
                    Double.isNaN(a[c]) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * a[c]), total, row);
        }
    }
}
