package dev.edgerun.cli;

import dev.edgerun.devices.tune.AutoOptions;
import dev.edgerun.onnx.TensorProtos;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Json;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code edgerun run MODEL --input NAME=FILE ...}: one inference, outputs printed or saved as .npy. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run one inference. Inputs from .pb (TensorProto) or .npy files; outputs printed, or saved "
                + "as .npy with --output-dir.")
final class RunCommand implements Callable<Integer> {
    private static final Set<String> LATER_FORMATS = Set.of("png", "jpg", "jpeg", "bmp", "gif", "webp", "wav");
    private static final int PREVIEW = 10;

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "MODEL", description = "the model file")
    Path file;

    @Option(names = {"-i", "--input"}, paramLabel = "NAME=FILE", required = true,
            description = "an input: NAME=FILE, or just FILE when the model has one input (.pb or .npy)")
    List<String> inputSpecs;

    @Option(names = "--output-dir", paramLabel = "DIR", description = "write each output as DIR/NAME.npy")
    Path outputDir;

    @Override
    public Integer call() throws IOException {
        Optional<AutoOptions> tuned = common.tuned(file, spec.commandLine().getErr());
        try (Model model = Edgerun.load(tuned.map(AutoOptions::modelFile).orElse(file))) {
            List<Value> declared = model.graph().requiredInputs();
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            try (Session session = Edgerun.session(model, tuned.map(AutoOptions::options).orElseGet(common::sessionOptions))) {
                for (String s : inputSpecs) readInput(s, declared, inputs);
                long t0 = System.nanoTime();
                try (RunResult result = session.run(inputs)) {
                    double ms = (System.nanoTime() - t0) / 1e6;
                    report(session, inputs, result, ms);
                }
            } finally {
                inputs.values().forEach(Tensor::close);
            }
        }
        return Main.OK;
    }

    /** Reads one {@code NAME=FILE} (or {@code FILE}) into {@code into}. */
    private static void readInput(String spec, List<Value> declared, Map<String, Tensor> into) {
        List<String> names = declared.stream().map(Value::name).toList();
        int eq = spec.indexOf('=');
        String name;
        String path;
        if (eq > 0 && names.contains(spec.substring(0, eq))) {
            name = spec.substring(0, eq);
            path = spec.substring(eq + 1);
        } else if (declared.size() == 1 && (eq < 0 || !Files.exists(Path.of(spec.substring(eq + 1))))) {
            name = names.get(0);
            path = spec;
        } else {
            throw new IllegalArgumentException("--input " + spec + ": expected NAME=FILE with NAME one of " + names);
        }
        if (into.containsKey(name)) throw new IllegalArgumentException("input '" + name + "' given twice");
        into.put(name, readTensor(Path.of(path)));
    }

    private static Tensor readTensor(Path p) {
        if (!Files.isRegularFile(p)) throw new IllegalArgumentException(p + ": no such file");
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        String ext = n.contains(".") ? n.substring(n.lastIndexOf('.') + 1) : "";
        return switch (ext) {
            case "pb" -> TensorProtos.read(p);
            case "npy" -> Npy.read(p);
            default -> throw new IllegalArgumentException(p + ": " + (LATER_FORMATS.contains(ext)
                    ? "image and audio inputs come in a later version; convert the file to .npy or .pb"
                    : "unknown input format '." + ext + "'; give a .pb (TensorProto) or .npy file"));
        };
    }

    private void report(Session session, Map<String, Tensor> inputs, RunResult result, double ms) throws IOException {
        if (outputDir != null) Files.createDirectories(outputDir);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("model", file.toString());
        doc.put("engine", session.engineName());
        doc.put("description", session.description());
        Map<String, Object> in = new LinkedHashMap<>();
        inputs.forEach((n, t) -> in.put(n, Format.type(t)));
        doc.put("inputs", in);
        doc.put("run_ms", ms);
        List<Map<String, Object>> outs = new ArrayList<>();
        for (var e : result) outs.add(describe(e.getKey(), e.getValue()));
        doc.put("outputs", outs);
        PrintWriter out = spec.commandLine().getOut();
        if (common.json) out.println(Json.write(doc));
        else printText(out, session, ms, outs);
        out.flush();
    }

    private Map<String, Object> describe(String name, Tensor t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("dtype", t.dtype().onnxName());
        m.put("shape", t.shape().dims());
        m.put("first_values", firstValues(t));
        Long argmax = argmax(t);
        m.put("argmax", argmax);
        if (outputDir != null) {
            Path f = outputDir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_") + ".npy");
            Npy.write(t, f);
            m.put("file", f.toString());
        }
        return m;
    }

    private static List<Object> firstValues(Tensor t) {
        List<Object> r = new ArrayList<>();
        long n = Math.min(PREVIEW, t.elementCount());
        String[] strings = t.dtype() == DType.STRING ? t.toStringArray() : null;
        for (long i = 0; i < n; i++) {
            if (strings != null) r.add(strings[(int) i]);
            else if (t.dtype().isFloatingPoint()) r.add(t.getAsDouble(i));
            else r.add(t.getAsLong(i));
        }
        return r;
    }

    /** The index of the largest element when at most one dimension exceeds 1 (a score vector); else null. */
    private static Long argmax(Tensor t) {
        if (t.dtype() == DType.STRING || t.elementCount() < 2) return null;
        int big = 0;
        for (long d : t.shape().dims()) if (d > 1) big++;
        if (big > 1) return null;
        long best = 0;
        for (long i = 1; i < t.elementCount(); i++) if (t.getAsDouble(i) > t.getAsDouble(best)) best = i;
        return best;
    }

    @SuppressWarnings("unchecked")
    private static void printText(PrintWriter out, Session session, double ms, List<Map<String, Object>> outs) {
        out.printf(Locale.ROOT, "%s, %.2f ms%n", session.description(), ms);
        for (Map<String, Object> o : outs) {
            out.printf("%s: %s%s%n", o.get("name"), o.get("dtype"), java.util.Arrays.toString((long[]) o.get("shape")));
            List<Object> first = (List<Object>) o.get("first_values");
            StringBuilder b = new StringBuilder("  first values [");
            for (int i = 0; i < first.size(); i++) {
                Object v = first.get(i);
                b.append(i > 0 ? ", " : "").append(v instanceof Double d ? Format.number(d) : String.valueOf(v));
            }
            out.println(b.append(first.size() == PREVIEW ? ", ...]" : "]"));
            if (o.get("argmax") != null) out.println("  argmax " + o.get("argmax"));
            if (o.get("file") != null) out.println("  wrote " + o.get("file"));
        }
    }
}
