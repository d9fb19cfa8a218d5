package dev.edgerun.cli;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.engine.NativeSession;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the native engine can tell {@code inspect} and {@code bench} about a model: the concrete
 * shapes of the values the FLOPs estimate needs, and the planned activation arena. Shapes come from
 * one run on zero-filled inputs (symbolic dimensions set to 1) of the model with those values
 * exposed as extra outputs, so they are the shapes the engine really computes.
 */
final class NativeFacts {
    private static final SessionOptions NATIVE = SessionOptions.builder().engine("native").threads(1).build();

    private NativeFacts() {}

    /** Shapes by value name (empty when unknown) and the planned peak in bytes (-1 when unknown), with a note. */
    record Analysis(Map<String, Shape> shapes, long plannedPeakBytes, String note) {}

    static Analysis analyse(Model model) {
        String unavailable = nativeUnavailable();
        if (unavailable != null) return new Analysis(Map.of(), -1, unavailable);
        long peak;
        try {
            peak = plannedPeak(model);
        } catch (EdgerunException e) {
            return new Analysis(Map.of(), -1, "the native engine cannot plan this model: " + firstSentence(e.getMessage()));
        }
        String note = "native engine plan" + (hasSymbolicInput(model) ? ", symbolic dimensions set to 1" : "");
        try {
            return new Analysis(heavyNodeShapes(model), peak, note);
        } catch (EdgerunException e) {
            return new Analysis(Map.of(), peak, note + "; shapes not inferred: " + firstSentence(e.getMessage()));
        }
    }

    /** The activation arena of the native plan for {@code model} (zero-filled inputs when shapes are symbolic). */
    static long plannedPeak(Model model) {
        try (Session s = Edgerun.session(model, NATIVE)) {
            if (!(s instanceof NativeSession ns)) return -1;
            if (ns.plannedPeakBytes() < 0) runOnZeros(s, model).close();
            return ns.plannedPeakBytes();
        }
    }

    private static String nativeUnavailable() {
        for (Engine e : Edgerun.engines()) {
            if (e.name().equals("native")) return e.availability().available() ? null : e.availability().detail();
        }
        return "no native engine on the class path";
    }

    /** Concrete shapes of every input and output of the Conv/ConvTranspose/Gemm/MatMul/LSTM nodes. */
    private static Map<String, Shape> heavyNodeShapes(Model model) {
        Graph g = model.graph();
        Set<String> wanted = new LinkedHashSet<>();
        for (Node n : g.nodes()) {
            if (!n.domain().isEmpty() || !ModelFacts.HEAVY_OPS.contains(n.opType())) continue;
            for (String v : n.inputs()) if (!v.isEmpty() && !g.initializers().containsKey(v)) wanted.add(v);
            for (String v : n.outputs()) if (!v.isEmpty()) wanted.add(v);
        }
        for (Value v : g.inputs()) wanted.remove(v.name());
        for (Value v : g.outputs()) wanted.remove(v.name());
        Graph.Builder exposed = g.toBuilder();
        for (String v : wanted) exposed.output(new Value(v, null, ""));
        Model probe = model.toBuilder().graph(exposed.build()).build();
        Map<String, Shape> shapes = new HashMap<>();
        try (Session s = Edgerun.session(probe, NATIVE); RunResult r = runOnZeros(s, probe)) {
            for (var e : r) shapes.put(e.getKey(), e.getValue().shape());
        }
        return shapes;
    }

    /** Runs {@code s} once on zero-filled inputs shaped from the declarations (symbolic dims = 1). */
    private static RunResult runOnZeros(Session s, Model model) {
        Map<String, Tensor> zeros = new HashMap<>();
        try {
            for (Value v : model.graph().requiredInputs()) {
                if (v.dtype() == null || v.shape() == null) {
                    throw new EdgerunException("input '" + v.name() + "' has no declared tensor type and shape");
                }
                long[] dims = v.shape().dims();
                for (int i = 0; i < dims.length; i++) if (dims[i] < 0) dims[i] = 1;
                zeros.put(v.name(), Tensor.allocate(v.dtype(), Shape.of(dims)));
            }
            return s.run(zeros);
        } finally {
            zeros.values().forEach(Tensor::close);
        }
    }

    private static boolean hasSymbolicInput(Model model) {
        return model.graph().requiredInputs().stream().anyMatch(v -> v.shape() != null && !v.shape().isConcrete());
    }

    private static String firstSentence(String m) {
        if (m == null) return "(no message)";
        int dot = m.indexOf(". ");
        return dot > 0 && dot < 300 ? m.substring(0, dot) : m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }
}
