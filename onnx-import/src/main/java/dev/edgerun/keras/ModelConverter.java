package dev.edgerun.keras;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a Keras model configuration (Sequential, Functional / "Model", and such models nested as
 * layers) into IR nodes through the per-class {@link LayerConverter}s.
 *
 * <p>A functional model is a graph of layer <i>calls</i>: layer L's k-th call consumes the tensors
 * named in {@code inbound_nodes[k]} and produces the tensors other layers reference as
 * {@code (L, k, i)}. A shared layer is called more than once and its weights are reused. Calls are
 * converted as soon as their inputs exist, so the order of the layer list does not matter.
 */
final class ModelConverter {
    private final WeightStore weights;
    private final GraphEmitter g;
    private final int kerasMajor;

    ModelConverter(WeightStore weights, int kerasMajor, GraphEmitter g) {
        this.weights = weights;
        this.g = g;
        this.kerasMajor = kerasMajor;
    }

    /** A reference to a layer call's output: layer name, call index, output index. */
    private record Ref(String layer, int call, int index) {
        String key() {
            return layer + "#" + call + "#" + index;
        }
    }

    /** Converts the top-level model: declares the graph inputs and outputs. */
    void convertTop(KerasLayer model) {
        List<KerasLayer> layers = layersOf(model);
        WeightStore.Scope scope = weights.root(layers);
        List<KerasLayer> inputLayers = inputLayers(model, layers);
        List<KTensor> inputs = new ArrayList<>();
        for (KerasLayer in : inputLayers) inputs.add(declareInput(in));
        List<Named> outputs = run(model, layers, scope, inputs);
        for (Named o : outputs) declareOutput(o);
    }

    private record Named(String name, KTensor tensor) {}

    /** Runs {@code model}'s layers on {@code inputs}; returns its outputs, named after the producing layers. */
    private List<Named> run(KerasLayer model, List<KerasLayer> layers, WeightStore.Scope scope, List<KTensor> inputs) {
        if (isSequential(model)) return runSequential(layers, scope, inputs);
        return runFunctional(model, layers, scope, inputs);
    }

    private List<Named> runSequential(List<KerasLayer> layers, WeightStore.Scope scope, List<KTensor> inputs) {
        KTensor x = inputs.get(0);
        String last = layers.isEmpty() ? "output" : layers.get(layers.size() - 1).name();
        for (KerasLayer l : layers) {
            if (l.className().equals("InputLayer")) continue;
            List<KTensor> out = call(l, scope, List.of(x));
            if (out.size() != 1) throw new ModelFormatException(l.where() + ": a Sequential layer must have one output");
            x = out.get(0);
        }
        return List.of(new Named(last, x));
    }

    private List<Named> runFunctional(KerasLayer model, List<KerasLayer> layers, WeightStore.Scope scope,
                                      List<KTensor> inputs) {
        Config cfg = model.config();
        List<Ref> inputRefs = refs(cfg.raw("input_layers"), cfg, "input_layers");
        List<Ref> outputRefs = refs(cfg.raw("output_layers"), cfg, "output_layers");
        if (inputRefs.size() != inputs.size()) {
            throw new ModelFormatException(cfg.where() + ": model has " + inputRefs.size() + " inputs, called with "
                    + inputs.size());
        }
        Map<String, KTensor> tensors = new HashMap<>();
        for (int i = 0; i < inputRefs.size(); i++) tensors.put(new Ref(inputRefs.get(i).layer, 0, 0).key(), inputs.get(i));

        record Call(KerasLayer layer, int index, List<Ref> args) {}
        List<Call> pending = new ArrayList<>();
        for (KerasLayer l : layers) {
            if (l.className().equals("InputLayer")) continue;
            List<List<Ref>> calls = inboundCalls(l);
            for (int k = 0; k < calls.size(); k++) pending.add(new Call(l, k, calls.get(k)));
        }
        boolean progress = true;
        while (!pending.isEmpty() && progress) {
            progress = false;
            for (var it = pending.iterator(); it.hasNext(); ) {
                Call c = it.next();
                List<KTensor> args = new ArrayList<>();
                for (Ref r : c.args) {
                    KTensor t = tensors.get(r.key());
                    if (t == null) break;
                    args.add(t);
                }
                if (args.size() < c.args.size()) continue;
                List<KTensor> out = call(c.layer, scope, args);
                for (int i = 0; i < out.size(); i++) tensors.put(new Ref(c.layer.name(), c.index, i).key(), out.get(i));
                it.remove();
                progress = true;
            }
        }
        List<Named> outputs = new ArrayList<>();
        for (Ref r : outputRefs) {
            KTensor t = tensors.get(r.key());
            if (t == null) {
                throw new ModelFormatException(cfg.where() + ": output " + r.layer + "[" + r.call + "][" + r.index
                        + "] is never computed (missing layer, or a cycle among " + pending.size() + " layer calls)");
            }
            outputs.add(new Named(r.layer, t));
        }
        return outputs;
    }

    /** Converts one call of one layer; a nested model recurses with its own weight scope. */
    private List<KTensor> call(KerasLayer l, WeightStore.Scope scope, List<KTensor> args) {
        g.scope(l.name());
        if (isModel(l)) {
            List<KerasLayer> inner = layersOf(l);
            WeightStore.Scope innerScope = weights.nested(scope, l, inner);
            List<KTensor> out = new ArrayList<>();
            for (Named n : run(l, inner, innerScope, args)) out.add(n.tensor);
            g.scope("");
            return out;
        }
        LayerConverter conv = KerasLayers.converter(l, kerasMajor);
        LayerContext ctx = new LayerContext(l, args, g, () -> weights.weights(scope, l), kerasMajor);
        List<KTensor> out = conv.convert(ctx);
        g.scope("");
        return out;
    }

    // ------------------------------------------------------------------ configuration structure

    static boolean isModel(KerasLayer l) {
        return switch (l.className()) {
            case "Sequential", "Functional", "Model" -> true;
            default -> false;
        };
    }

    private static boolean isSequential(KerasLayer l) {
        return l.className().equals("Sequential");
    }

    /** The layers of a model, in config order (a very old Sequential config is the list itself). */
    static List<KerasLayer> layersOf(KerasLayer model) {
        Config cfg = model.config();
        List<Config> entries = model.entry().raw("config") instanceof List<?>
                ? model.entry().objects("config") : cfg.objects("layers");
        String where = fileOf(model);
        List<KerasLayer> r = new ArrayList<>();
        for (Config e : entries) r.add(KerasLayer.of(e, where));
        return r;
    }

    private static String fileOf(KerasLayer l) {
        String w = l.where();
        int i = w.indexOf(", layer '");
        return i < 0 ? w : w.substring(0, i);
    }

    /** The InputLayers feeding a model, in input order; a Sequential without one gets it from its first layer. */
    private List<KerasLayer> inputLayers(KerasLayer model, List<KerasLayer> layers) {
        Map<String, KerasLayer> byName = new LinkedHashMap<>();
        for (KerasLayer l : layers) byName.put(l.name(), l);
        if (!isSequential(model)) {
            List<KerasLayer> r = new ArrayList<>();
            for (Ref ref : refs(model.config().raw("input_layers"), model.config(), "input_layers")) {
                KerasLayer l = byName.get(ref.layer);
                if (l == null) throw new ModelFormatException(model.where() + ": input layer '" + ref.layer + "' not found");
                r.add(l);
            }
            return r;
        }
        if (layers.isEmpty()) throw new ModelFormatException(model.where() + ": Sequential model has no layers");
        return List.of(layers.get(0)); // an InputLayer, or a first layer whose batch_input_shape declares the input
    }

    private KTensor declareInput(KerasLayer in) {
        long[] shape = inputShape(in);
        String dtype = in.config().dtype("dtype", "float32");
        DType dt = dtypeOf(dtype, in);
        String name = g.claim(in.className().equals("InputLayer") ? in.name() : in.name() + "_input");
        String[] symbols = new String[shape.length];
        for (int i = 0; i < shape.length; i++) if (shape[i] < 0) symbols[i] = i == 0 ? "batch" : name + "_d" + i;
        g.input(Value.tensor(name, dt, Shape.symbolic(shape, symbols)));
        return KTensor.channelsLast(name, shape, dt);
    }

    /** Batch shape of an input: {@code batch_shape} (Keras 3), {@code batch_input_shape} (Keras 2), or the first layer's build shape. */
    private static long[] inputShape(KerasLayer in) {
        Config c = in.config();
        if (c.has("batch_shape")) return c.dims("batch_shape");
        if (c.has("batch_input_shape")) return c.dims("batch_input_shape");
        if (c.has("input_shape")) return withBatch(c.dims("input_shape"));
        if (in.entry().has("build_config") && in.entry().object("build_config").has("input_shape")) {
            return in.entry().object("build_config").dims("input_shape");
        }
        throw new ModelFormatException(in.where() + ": the model's input shape is not in the config (no batch_shape,"
                + " batch_input_shape or build_config); the model was saved before it was built");
    }

    private static long[] withBatch(long[] dims) {
        long[] r = new long[dims.length + 1];
        r[0] = -1;
        System.arraycopy(dims, 0, r, 1, dims.length);
        return r;
    }

    static DType dtypeOf(String kerasDtype, KerasLayer where) {
        return switch (kerasDtype) {
            case "float32", "float16", "bfloat16", "float64", "mixed_float16", "mixed_bfloat16" -> DType.FLOAT;
            case "int32" -> DType.INT32;
            case "int64" -> DType.INT64;
            case "uint8" -> DType.UINT8;
            case "uint16" -> DType.UINT16;
            case "int16" -> DType.INT16;
            case "int8" -> DType.INT8;
            case "bool" -> DType.BOOL;
            default -> throw new ModelFormatException(where.where() + ": unsupported input dtype '" + kerasDtype + "'");
        };
    }

    /** Makes the graph output: channels-last, named after the Keras output layer. */
    private void declareOutput(Named o) {
        KTensor t = o.tensor;
        String name = g.claim(o.name);
        if (t.channelsFirst()) {
            g.nodeTo("Transpose", List.of(t.name()), name,
                    dev.edgerun.runtime.ir.Attribute.of("perm", GraphEmitter.toChannelsLast(t.rank())));
        } else {
            g.nodeTo("Identity", List.of(t.name()), name);
        }
        String[] symbols = new String[t.rank()];
        for (int i = 0; i < t.rank(); i++) if (t.dim(i) < 0) symbols[i] = i == 0 ? "batch" : name + "_d" + i;
        g.output(Value.tensor(name, t.dtype(), Shape.symbolic(t.shape(), symbols)));
    }

    // ------------------------------------------------------------------ inbound nodes

    /** The calls of a layer: for each, the tensors it consumes. */
    private static List<List<Ref>> inboundCalls(KerasLayer l) {
        List<List<Ref>> calls = new ArrayList<>();
        if (!l.entry().has("inbound_nodes")) return calls;
        for (Object node : l.entry().list("inbound_nodes")) {
            List<Ref> args = new ArrayList<>();
            if (node instanceof Map<?, ?> keras3) {
                collectKeras3(keras3.get("args"), args, l);
                collectKeras3(keras3.get("kwargs"), args, l);
            } else if (node instanceof List<?> keras2) {
                for (Object a : keras2) {
                    args.add(keras2Ref(a, l));
                    // tensors passed by keyword (MultiHeadAttention's value=, key=) sit in the kwargs
                    if (a instanceof List<?> ref && ref.size() >= 4 && ref.get(3) instanceof Map<?, ?> kwargs) {
                        for (Object v : kwargs.values()) if (isRef(v)) args.add(keras2Ref(v, l));
                    }
                }
            } else {
                throw new ModelFormatException(l.where() + ": unreadable inbound_nodes entry " + node);
            }
            calls.add(args);
        }
        return calls;
    }

    /** Keras 3 writes call arguments as nested lists/dicts holding {@code __keras_tensor__} objects. */
    private static void collectKeras3(Object v, List<Ref> out, KerasLayer l) {
        if (v instanceof Map<?, ?> m) {
            if ("__keras_tensor__".equals(m.get("class_name"))) {
                Object cfg = m.get("config");
                Object hist = cfg instanceof Map<?, ?> cm ? cm.get("keras_history") : null;
                out.add(keras2Ref(hist, l));
                return;
            }
            for (Object e : m.values()) collectKeras3(e, out, l);
        } else if (v instanceof List<?> list) {
            for (Object e : list) collectKeras3(e, out, l);
        }
    }

    private static boolean isRef(Object v) {
        return v instanceof List<?> r && r.size() >= 3 && r.get(0) instanceof String && r.get(1) instanceof Number
                && r.get(2) instanceof Number;
    }

    /** {@code [layer_name, node_index, tensor_index, ...]}. */
    private static Ref keras2Ref(Object a, KerasLayer l) {
        if (a instanceof List<?> r && r.size() >= 3 && r.get(0) instanceof String name
                && r.get(1) instanceof Number node && r.get(2) instanceof Number idx) {
            return new Ref(name, node.intValue(), idx.intValue());
        }
        throw new ModelFormatException(l.where() + ": unreadable tensor reference in inbound_nodes: " + a);
    }

    /** {@code input_layers}/{@code output_layers}: a list of refs, a single ref, or (Keras 3 dict inputs/outputs) a map of refs. */
    private static List<Ref> refs(Object v, Config cfg, String key) {
        if (v instanceof Map<?, ?> named) {
            List<Ref> r = new ArrayList<>();
            for (Object e : named.values()) r.addAll(refs(e, cfg, key));
            return r;
        }
        if (!(v instanceof List<?> list) || list.isEmpty()) throw cfg.bad(key, "a list of [layer, node, tensor]", v);
        List<Ref> r = new ArrayList<>();
        if (list.get(0) instanceof String) {
            r.add(new Ref((String) list.get(0), ((Number) list.get(1)).intValue(), ((Number) list.get(2)).intValue()));
            return r;
        }
        for (Object e : list) {
            if (!(e instanceof List<?> ref) || ref.size() < 3 || !(ref.get(0) instanceof String n)
                    || !(ref.get(1) instanceof Number a) || !(ref.get(2) instanceof Number b)) {
                throw cfg.bad(key, "a list of [layer, node, tensor]", v);
            }
            r.add(new Ref(n, a.intValue(), b.intValue()));
        }
        return r;
    }
}
