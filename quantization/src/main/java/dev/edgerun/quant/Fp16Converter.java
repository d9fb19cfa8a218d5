package dev.edgerun.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.ir.ValueType;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * float16 conversion: float weights are stored as float16 and float activations computed in
 * float16 by every node that all target engines run in float16; the others stay float32, with Cast
 * nodes where the two meet and at the graph's inputs and outputs, which stay float32. Whether an
 * engine runs a node in float16 is asked of the engine itself: the node alone, with its float16
 * types and real shapes, is compiled on each target (the native registry has no per-type table).
 * Large weights of float32 nodes are stored as float16 too and cast back, so the file still halves.
 */
final class Fp16Converter {
    /** Inputs that stay float32 whatever the data type (Resize's roi and scales). */
    private static final Map<String, Set<Integer>> FLOAT_ONLY = Map.of("Resize", Set.of(1, 2), "Upsample", Set.of(1));
    /** Weights of at least this many elements are stored as float16 even when their consumer runs in float32. */
    private static final long STORE_HALF_ELEMENTS = 256;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final QuantOptions options;
    private final Map<String, Observer.TensorInfo> census;
    private final Map<String, Boolean> probes = new HashMap<>();
    private final List<String> keptFloat = new ArrayList<>();
    private Map<String, Long> opsets = Map.of();

    Fp16Converter(QuantOptions options, Map<String, Observer.TensorInfo> census) {
        this.options = options;
        this.census = census;
    }

    /** Nodes left in float32 by the last {@link #convert} (excluded, or unsupported in float16 on a target). */
    List<String> keptFloat() {
        return keptFloat;
    }

    /** The nodes converted by {@link #convert}. */
    List<Node> candidates(Model model) {
        List<Node> r = new ArrayList<>();
        for (Node n : model.graph().nodes()) if (touchesFloat(n, model.graph())) r.add(n);
        return r;
    }

    Model convert(Model model) {
        Rewrite rw = new Rewrite(model);
        Graph g = model.graph();
        opsets = model.opsetImports();
        keptFloat.clear();
        Set<String> half = new LinkedHashSet<>();
        for (Node n : g.nodes()) {
            if (!touchesFloat(n, g)) continue;
            if (!options.excluded(Quantizer.key(n), n.opType()) && runsInHalf(n, g)) half.add(Quantizer.key(n));
            else keptFloat.add(Quantizer.key(n));
        }
        Tensors tensors = new Tensors(rw, g);
        convertInitializers(g, half, tensors);
        Set<String> outputs = new LinkedHashSet<>();
        g.outputs().forEach(v -> outputs.add(v.name()));
        for (Node n : g.nodes()) {
            boolean h = half.contains(Quantizer.key(n));
            List<String> inputs = new ArrayList<>();
            for (int i = 0; i < n.inputs().size(); i++) {
                String in = n.inputs().get(i);
                inputs.add(in.isEmpty() || !isFloat(in) ? in : tensors.as(in, h && !floatOnly(n, i) ? DType.FLOAT16 : DType.FLOAT));
            }
            List<String> outs = new ArrayList<>(n.outputs());
            for (int i = 0; i < outs.size(); i++) {
                String o = outs.get(i);
                if (o.isEmpty() || !isFloat(o)) continue;
                if (h && outputs.contains(o)) outs.set(i, rw.fresh(o + "_fp16"));
                tensors.produced(o, outs.get(i), h ? DType.FLOAT16 : DType.FLOAT);
            }
            rw.emit(h ? halfNode(n, inputs, outs, rw) : new Node(n.name(), n.opType(), n.domain(), inputs, outs, n.attributes(), n.docString()));
            for (String o : n.outputs()) if (h && outputs.contains(o) && isFloat(o)) tensors.castTo(o, DType.FLOAT, o);
        }
        return rw.build(g.inputs(), g.outputs(), false);
    }

    private void convertInitializers(Graph g, Set<String> half, Tensors tensors) {
        Set<String> inputs = new LinkedHashSet<>();
        g.inputs().forEach(v -> inputs.add(v.name()));
        Set<String> wantedHalf = new LinkedHashSet<>();
        for (Node n : g.nodes()) {
            if (!half.contains(Quantizer.key(n))) continue;
            for (int i = 0; i < n.inputs().size(); i++) if (!floatOnly(n, i)) wantedHalf.add(n.inputs().get(i));
        }
        g.initializers().forEach((name, t) -> {
            if (t.dtype() != DType.FLOAT || inputs.contains(name)) return;
            if (wantedHalf.contains(name) || t.elementCount() >= STORE_HALF_ELEMENTS) tensors.convertInitializer(name, t);
        });
    }

    private Node halfNode(Node n, List<String> inputs, List<String> outs, Rewrite rw) {
        Node.Builder b = Node.builder(n.opType()).name(n.name()).domain(n.domain()).docString(n.docString()).inputs(inputs).outputs(outs);
        for (Attribute a : n.attributes().values()) {
            if (n.opType().equals("Cast") && a.name().equals("to") && a.asInt() == DType.FLOAT.onnxCode()) {
                b.attribute("to", (long) DType.FLOAT16.onnxCode());
            } else if ((n.opType().equals("Constant") || n.opType().equals("ConstantOfShape")) && a.name().equals("value")
                    && a.asTensor().dtype() == DType.FLOAT) {
                Tensor h = toHalf(a.asTensor());
                rw.own(h);
                b.attribute("value", h);
            } else {
                b.attribute(a);
            }
        }
        return b.build();
    }

    // ---------------------------------------------------------------- which nodes

    private boolean isFloat(String tensor) {
        Observer.TensorInfo i = census.get(tensor);
        return i != null && i.dtype() == DType.FLOAT;
    }

    private boolean touchesFloat(Node n, Graph g) {
        if (!n.domain().isEmpty()) return false;
        for (Attribute a : n.attributes().values()) {
            if (a.kind() == Attribute.Kind.GRAPH || a.kind() == Attribute.Kind.GRAPHS) return false;
        }
        if (n.opType().equals("Constant") || n.opType().equals("ConstantOfShape")) {
            Attribute v = n.attribute("value");
            return v != null && v.kind() == Attribute.Kind.TENSOR && v.asTensor().dtype() == DType.FLOAT;
        }
        if (n.opType().equals("Cast")) return n.outputs().stream().anyMatch(this::isFloat);
        return n.inputs().stream().anyMatch(in -> !in.isEmpty() && isFloat(in));
    }

    private static boolean floatOnly(Node n, int input) {
        Set<Integer> s = FLOAT_ONLY.get(n.opType());
        return s != null && s.contains(input);
    }

    /** Whether every target engine compiles {@code n} alone with its float tensors in float16. */
    private boolean runsInHalf(Node n, Graph g) {
        if (n.opType().equals("Constant") || n.opType().equals("Cast") || n.opType().equals("ConstantOfShape")) return true;
        StringBuilder key = new StringBuilder(n.opType()).append(n.attributes().values());
        for (int i = 0; i < n.inputs().size(); i++) {
            String in = n.inputs().get(i);
            Observer.TensorInfo info = census.get(in);
            if (in.isEmpty()) key.append("|-");
            else if (info == null) return false;
            else key.append('|').append(halfType(n, i, info)).append(info.shape()).append(g.initializers().containsKey(in) ? "c" : "");
        }
        return probes.computeIfAbsent(key.toString(), k -> probe(n, g));
    }

    private static DType halfType(Node n, int input, Observer.TensorInfo info) {
        return info.dtype() == DType.FLOAT && !floatOnly(n, input) ? DType.FLOAT16 : info.dtype();
    }

    private boolean probe(Node n, Graph g) {
        Graph.Builder gb = Graph.builder("fp16_probe");
        List<Tensor> temporary = new ArrayList<>();
        try {
            for (int i = 0; i < n.inputs().size(); i++) {
                String in = n.inputs().get(i);
                if (in.isEmpty()) continue;
                Observer.TensorInfo info = census.get(in);
                DType t = halfType(n, i, info);
                Tensor init = g.initializers().get(in);
                if (init == null) {
                    gb.input(Value.tensor(in, t, info.shape()));
                } else if (t == DType.FLOAT16 && init.dtype() == DType.FLOAT) {
                    Tensor h = toHalf(init);
                    temporary.add(h);
                    gb.initializer(in, h);
                } else {
                    gb.initializer(in, init);
                }
            }
            gb.node(n);
            for (String o : n.outputs()) if (!o.isEmpty()) gb.output(new Value(o, new ValueType.Unknown(), ""));
            Model.Builder mb = Model.builder().graph(gb.build()).clearOpsets();
            opsets.forEach(mb::opset);
            return compilesEverywhere(mb.build());
        } finally {
            temporary.forEach(Tensor::close);
        }
    }

    private boolean compilesEverywhere(Model probe) {
        for (String engine : options.engines()) {
            try {
                Edgerun.session(probe, SessionOptions.builder().engine(engine).threads(1).build()).close();
            } catch (RuntimeException e) {
                return false; // the engine cannot compile this node in float16
            }
        }
        return true;
    }

    static Tensor toHalf(Tensor t) {
        Tensor h = Tensor.allocate(DType.FLOAT16, t.shape());
        for (long i = 0; i < t.elementCount(); i++) h.data().setAtIndex(HALF, i, Float.floatToFloat16(t.getFloat(i)));
        return h;
    }

    // ---------------------------------------------------------------- tensor versions

    /** The float32 and float16 versions of each float tensor, with Casts created on demand. */
    private static final class Tensors {
        private final Rewrite rw;
        private final Map<String, String> fp32 = new HashMap<>();
        private final Map<String, String> fp16 = new HashMap<>();

        Tensors(Rewrite rw, Graph g) {
            this.rw = rw;
            for (Value v : g.inputs()) fp32.put(v.name(), v.name());
            g.initializers().forEach((k, t) -> { if (t.dtype() == DType.FLOAT) fp32.put(k, k); });
        }

        void convertInitializer(String name, Tensor t) {
            rw.replaceInitializer(name, toHalf(t));
            fp32.remove(name);
            fp16.put(name, name);
        }

        void produced(String tensor, String actualName, DType type) {
            (type == DType.FLOAT16 ? fp16 : fp32).put(tensor, actualName);
        }

        /** The name under which {@code tensor} is available as {@code type}, casting when needed. */
        String as(String tensor, DType type) {
            String have = (type == DType.FLOAT16 ? fp16 : fp32).get(tensor);
            if (have != null) return have;
            String target = rw.fresh(tensor + (type == DType.FLOAT16 ? "_fp16" : "_fp32"));
            castTo(tensor, type, target);
            return target;
        }

        void castTo(String tensor, DType type, String target) {
            String from = (type == DType.FLOAT16 ? fp32 : fp16).get(tensor);
            if (from == null) throw new QuantizationException("fp16 conversion: tensor '" + tensor + "' is used before it is produced");
            rw.emit(Node.builder("Cast").name(rw.fresh(tensor + "_Cast")).attribute("to", (long) type.onnxCode())
                    .inputs(from).outputs(target).build());
            (type == DType.FLOAT16 ? fp16 : fp32).put(tensor, target);
        }
    }
}
