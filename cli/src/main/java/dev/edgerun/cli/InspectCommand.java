package dev.edgerun.cli;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.io.Json;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
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
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code edgerun inspect MODEL}: what a model is made of, without running it. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model's format, opsets, inputs/outputs, operator histogram, parameters, size, "
                + "FLOPs estimate and planned peak memory.")
final class InspectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "MODEL", description = "a model file (.onnx, or any format an importer reads)")
    Path file;

    @Override
    public Integer call() throws IOException {
        try (Model model = Edgerun.load(file)) {
            Map<String, Object> doc = describe(model);
            if (!common.devices.isEmpty()) {
                // --device: say where a session would run (and which devices it fell back from).
                try (Session s = Edgerun.session(model, common.sessionOptions())) {
                    doc.put("session", s.description());
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            if (common.json) out.println(Json.write(doc));
            else printText(out, model, doc);
            out.flush();
        }
        return Main.OK;
    }

    private Map<String, Object> describe(Model model) throws IOException {
        var g = model.graph();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("file", file.toString());
        doc.put("format", model.source() != null ? model.source().format() : extension(file));
        doc.put("file_bytes", Files.size(file));
        doc.put("ir_version", model.irVersion());
        Map<String, Object> opsets = new LinkedHashMap<>();
        model.opsetImports().forEach((d, v) -> opsets.put(d.isEmpty() ? "ai.onnx" : d, v));
        doc.put("opsets", opsets);
        Map<String, Object> producer = new LinkedHashMap<>();
        producer.put("name", model.producerName());
        producer.put("version", model.producerVersion());
        doc.put("producer", producer);
        doc.put("graph", g.name());
        doc.put("inputs", values(g.requiredInputs()));
        doc.put("outputs", values(g.outputs()));
        doc.put("nodes", g.nodes().size());
        doc.put("operators", ModelFacts.histogram(g));
        doc.put("parameters", g.parameterCount());
        doc.put("parameter_bytes", g.parameterBytes());
        NativeFacts.Analysis analysis = NativeFacts.analyse(model);
        Map<String, Shape> shapes = ModelFacts.declaredShapes(model);
        shapes.putAll(analysis.shapes());
        ModelFacts.Flops flops = ModelFacts.flops(g, shapes);
        doc.put("flops", flops.flops());
        doc.put("flops_nodes_counted", flops.counted());
        doc.put("flops_nodes_total", flops.heavyNodes());
        doc.put("shapes_from", analysis.shapes().isEmpty() ? "declared shapes" : "native engine shape inference");
        doc.put("planned_peak_bytes", analysis.plannedPeakBytes() < 0 ? null : analysis.plannedPeakBytes());
        doc.put("planned_peak_note", analysis.note());
        doc.put("metadata", model.metadata());
        return doc;
    }

    static List<Map<String, Object>> values(List<Value> vs) {
        List<Map<String, Object>> r = new ArrayList<>();
        for (Value v : vs) r.add(value(v));
        return r;
    }

    /** {"name": "input", "dtype": "float", "shape": [1, 3, 224, 224]} with symbolic dims as strings. */
    static Map<String, Object> value(Value v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", v.name());
        m.put("type", v.type().toString());
        m.put("dtype", v.dtype() == null ? null : v.dtype().onnxName());
        Shape s = v.shape();
        if (s == null) {
            m.put("shape", null);
        } else {
            List<Object> dims = new ArrayList<>();
            for (int i = 0; i < s.rank(); i++) {
                dims.add(s.dim(i) >= 0 ? (Object) s.dim(i) : s.symbol(i) != null ? s.symbol(i) : "?");
            }
            m.put("shape", dims);
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    private static void printText(PrintWriter out, Model model, Map<String, Object> d) {
        out.printf("%s%n", d.get("file"));
        out.printf("  format      %s, IR version %s, opsets %s%n", d.get("format"), d.get("ir_version"), d.get("opsets"));
        out.printf("  producer    %s %s%n", model.producerName(), model.producerVersion());
        out.printf("  file size   %s%n", Format.bytes((Long) d.get("file_bytes")));
        out.println("  inputs");
        for (Value v : model.graph().requiredInputs()) out.println("    " + Format.value(v));
        out.println("  outputs");
        for (Value v : model.graph().outputs()) out.println("    " + Format.value(v));
        out.printf("  parameters  %s (%s)%n", Format.count((Long) d.get("parameters")),
                Format.bytes((Long) d.get("parameter_bytes")));
        long flops = (Long) d.get("flops");
        int counted = (Integer) d.get("flops_nodes_counted");
        int total = (Integer) d.get("flops_nodes_total");
        out.printf("  FLOPs       %sFLOP (Conv/ConvTranspose/Gemm/MatMul/LSTM, 2 x MACs; %d of %d nodes, %s)%n",
                Format.si(flops), counted, total, d.get("shapes_from"));
        Object peak = d.get("planned_peak_bytes");
        out.printf("  peak memory %s%n", peak == null ? "n/a (" + d.get("planned_peak_note") + ")"
                : Format.bytes((Long) peak) + " planned activations (" + d.get("planned_peak_note") + ")");
        out.printf("  operators   %d nodes%n", (Integer) d.get("nodes"));
        for (var e : ((Map<String, Integer>) d.get("operators")).entrySet()) {
            out.printf("    %-24s %5d%n", e.getKey(), e.getValue());
        }
        if (d.get("session") != null) out.printf("  session     %s%n", d.get("session"));
        if (!model.metadata().isEmpty()) {
            out.println("  metadata");
            model.metadata().forEach((k, v) -> out.printf("    %s = %s%n", k, v));
        }
    }

    private static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "unknown" : n.substring(dot + 1);
    }
}
