package dev.edgerun.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.ir.ValueType;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Runs a model with intermediate tensors added as graph outputs, to learn their types and shapes
 * and to collect calibration statistics. The native engine is tried first, ONNX Runtime when the
 * native engine cannot compile the model.
 */
final class Observer {
    private Observer() {}

    /** The element type and shape a tensor had in an observed run. */
    record TensorInfo(DType dtype, Shape shape) {}

    /** {@code model} with {@code names} (those not already outputs) appended to its outputs. */
    static Model withOutputs(Model model, Collection<String> names) {
        Graph g = model.graph();
        Set<String> present = new LinkedHashSet<>();
        g.outputs().forEach(v -> present.add(v.name()));
        Graph.Builder b = g.toBuilder();
        for (String n : names) if (present.add(n)) b.output(new Value(n, new ValueType.Unknown(), ""));
        return model.toBuilder().graph(b.build()).build();
    }

    /** The tensor {@code name} of one observed run: a graph input from the batch, else an output. */
    static Tensor value(Map<String, Tensor> batch, RunResult result, String name) {
        Tensor t = batch.get(name);
        return t != null ? t : result.get(name);
    }

    /** The dtype and shape of every node output (and graph input), from one run on {@code sample}. */
    static Map<String, TensorInfo> census(Model model, Map<String, Tensor> sample) {
        Set<String> names = new LinkedHashSet<>();
        for (Node n : model.graph().nodes()) for (String o : n.outputs()) if (!o.isEmpty()) names.add(o);
        Map<String, TensorInfo> info = new LinkedHashMap<>();
        for (Value v : model.graph().inputs()) {
            Tensor t = sample.get(v.name());
            if (t != null) info.put(v.name(), new TensorInfo(t.dtype(), t.shape()));
        }
        model.graph().initializers().forEach((k, t) -> info.put(k, new TensorInfo(t.dtype(), t.shape())));
        run(model, names, List.of(sample), (in, out) -> out.forEach(e -> info.put(e.getKey(),
                new TensorInfo(e.getValue().dtype(), e.getValue().shape()))));
        return info;
    }

    /**
     * Runs {@code model} over {@code batches} with {@code names} exposed (graph inputs among them
     * are read from the batch), handing each batch and result to {@code sink}, which must not keep
     * the tensors beyond the call.
     */
    static void run(Model model, Collection<String> names, List<Map<String, Tensor>> batches, BiConsumer<Map<String, Tensor>, RunResult> sink) {
        Set<String> inputs = new LinkedHashSet<>();
        model.graph().inputs().forEach(v -> inputs.add(v.name()));
        Model observed = withOutputs(model, names.stream().filter(n -> !inputs.contains(n)).toList());
        try (Session s = open(observed)) {
            runAll(s, batches, sink);
        }
    }

    /** A session on the native engine, or on ONNX Runtime when the native engine cannot compile the model. */
    static Session open(Model model) {
        EdgerunException nativeFailure;
        try {
            return Edgerun.session(model, SessionOptions.builder().engine("native").build());
        } catch (EdgerunException e) {
            nativeFailure = e;
        }
        try {
            return Edgerun.session(model, SessionOptions.builder().engine("onnxruntime").build());
        } catch (EdgerunException e) {
            QuantizationException q = new QuantizationException("cannot run the model: native engine: "
                    + nativeFailure.getMessage() + "; onnxruntime: " + e.getMessage(), e);
            q.addSuppressed(nativeFailure);
            throw q;
        }
    }

    private static void runAll(Session s, List<Map<String, Tensor>> batches, BiConsumer<Map<String, Tensor>, RunResult> sink) {
        for (Map<String, Tensor> b : batches) {
            try (RunResult r = s.run(b)) {
                sink.accept(b, r);
            }
        }
    }

    /**
     * One synthetic sample for models quantized without data: symbolic dimensions set to 1, float
     * inputs drawn from N(0, 1) with a fixed seed, integer inputs zero.
     */
    static Map<String, Tensor> syntheticSample(List<Value> inputs) {
        Random random = new Random(42);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Value v : inputs) {
            Shape s = v.shape();
            if (s == null || v.dtype() == null || v.dtype() == DType.STRING) {
                m.values().forEach(Tensor::close);
                throw new QuantizationException("input '" + v.name() + "' has no declared type; pass data to quantize this model");
            }
            long[] dims = s.dims();
            for (int i = 0; i < dims.length; i++) if (dims[i] < 0) dims[i] = 1;
            Tensor t = Tensor.allocate(v.dtype(), Shape.of(dims));
            if (v.dtype() == DType.FLOAT) for (long i = 0; i < t.elementCount(); i++) t.setFloat(i, (float) random.nextGaussian());
            m.put(v.name(), t);
        }
        return m;
    }

    /** The batch size to feed: the model's fixed first dimension, else {@code preferred}. */
    static int batchSize(List<Value> inputs, int preferred) {
        for (Value v : inputs) {
            Shape s = v.shape();
            if (s != null && s.rank() > 0 && s.symbol(0) == null && s.dim(0) > 0) return (int) s.dim(0);
        }
        return preferred;
    }
}
