package dev.edgerun.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Static int8 in QDQ form: every float activation read by a quantized node passes through a
 * QuantizeLinear/DequantizeLinear pair with its calibrated scale; weights of Conv/MatMul/Gemm are
 * stored as int8 initializers behind a DequantizeLinear (per channel by default), biases as int32
 * with scale {@code x_scale * w_scale}. Graph inputs and outputs stay float. The result is standard
 * ONNX that either engine runs as float between the pairs, or fuses into integer kernels.
 * <p>
 * A Relu or Clip that is the only reader of a quantized Conv/MatMul/Gemm/Add output gets no pair
 * on its input, as ONNX Runtime's quantizer does: {@code DQ -> Conv -> Clip -> Q -> DQ}, the
 * activation's output quantization covering both, and the pattern an engine fuses into one
 * integer convolution (or one integer residual Add) with a clamped output. A pair between them
 * would round twice and cost an engine a second pass over the tensor.
 */
final class StaticQuantizer {

    /**
     * Operators whose float activation inputs are quantized (the indices, empty = every input that
     * is not an initializer); weights are quantized for Conv, MatMul and Gemm.
     */
    private static final Map<String, int[]> ACTIVATION_INPUTS = Map.ofEntries(
            Map.entry("Conv", new int[] {0}), Map.entry("MatMul", new int[] {}), Map.entry("Gemm", new int[] {0, 1}),
            Map.entry("Add", new int[] {}), Map.entry("Mul", new int[] {}), Map.entry("Concat", new int[] {}),
            Map.entry("Relu", new int[] {0}), Map.entry("Clip", new int[] {0}), Map.entry("LeakyRelu", new int[] {0}),
            Map.entry("MaxPool", new int[] {0}), Map.entry("AveragePool", new int[] {0}),
            Map.entry("GlobalAveragePool", new int[] {0}), Map.entry("Flatten", new int[] {0}),
            Map.entry("Reshape", new int[] {0}), Map.entry("Transpose", new int[] {0}),
            Map.entry("Squeeze", new int[] {0}), Map.entry("Unsqueeze", new int[] {0}), Map.entry("Resize", new int[] {0}));

    private final QuantOptions options;
    private final Map<String, Observer.TensorInfo> census;

    StaticQuantizer(QuantOptions options, Map<String, Observer.TensorInfo> census) {
        this.options = options;
        this.census = census;
    }

    /** Nodes this quantizer would quantize in {@code model} (not excluded, of a supported type). */
    List<Node> candidates(Model model) {
        List<Node> r = new ArrayList<>();
        for (Node n : model.graph().nodes()) {
            if (n.domain().isEmpty() && ACTIVATION_INPUTS.containsKey(n.opType()) && !options.excluded(Quantizer.key(n), n.opType())) r.add(n);
        }
        return r;
    }

    /** The float, non-constant tensors the quantized model quantizes: these need calibrated ranges. */
    Set<String> activations(Model model) {
        Rewrite rw = new Rewrite(model);
        Set<String> r = new LinkedHashSet<>();
        for (Node n : candidates(model)) r.addAll(activationInputs(n, rw));
        r.removeAll(fusedActivationInputs(model));
        return r;
    }

    /**
     * Outputs of quantized Conv/MatMul/Gemm/Add nodes read only by a quantized Relu or Clip (and
     * not graph outputs): they stay float, the activation's output quantization covering both.
     */
    private Set<String> fusedActivationInputs(Model model) {
        Map<String, Integer> reads = new HashMap<>();
        for (Node n : model.graph().nodes()) for (String in : n.inputs()) if (!in.isEmpty()) reads.merge(in, 1, Integer::sum);
        Set<String> outputs = new java.util.HashSet<>();
        for (Value v : model.graph().outputs()) outputs.add(v.name());
        Set<String> producers = new java.util.HashSet<>();
        List<Node> quantized = candidates(model);
        for (Node n : quantized) {
            if (Set.of("Conv", "MatMul", "Gemm", "Add").contains(n.opType()) && n.outputs().size() == 1) producers.add(n.outputs().get(0));
        }
        Set<String> r = new java.util.HashSet<>();
        for (Node n : quantized) {
            if (!n.opType().equals("Relu") && !n.opType().equals("Clip")) continue;
            String in = n.inputs().get(0);
            if (producers.contains(in) && reads.get(in) == 1 && !outputs.contains(in)) r.add(in);
        }
        return r;
    }

    private List<String> activationInputs(Node n, Rewrite rw) {
        int[] idx = ACTIVATION_INPUTS.get(n.opType());
        List<String> r = new ArrayList<>();
        for (int i = 0; i < n.inputs().size(); i++) {
            final int index = i;
            if (idx.length > 0 && java.util.Arrays.stream(idx).noneMatch(x -> x == index)) continue;
            String in = n.inputs().get(i);
            Observer.TensorInfo info = census.get(in);
            if (in.isEmpty() || rw.isInitializer(in) || info == null || info.dtype() != DType.FLOAT) continue;
            r.add(in);
        }
        return r;
    }

    Model quantize(Model model, Map<String, Calibrator.Range> ranges) {
        Rewrite rw = new Rewrite(model);
        rw.requireOpset(13);
        Set<String> quantized = new java.util.HashSet<>();
        for (Node n : candidates(model)) quantized.add(n.name().isEmpty() ? n.label() : n.name());
        Set<String> needed = activations(model);   // ranges may hold more: the guardrail's earlier tries
        Map<String, String[]> qdq = new HashMap<>(); // tensor -> {dequantized name, scale name}
        for (Value v : model.graph().inputs()) {
            if (needed.contains(v.name()) && ranges.containsKey(v.name())) qdq.put(v.name(), emitPair(rw, v.name(), ranges.get(v.name())));
        }
        for (Node n : model.graph().nodes()) {
            boolean q = quantized.contains(n.name().isEmpty() ? n.label() : n.name());
            rw.emit(q ? rewriteNode(rw, n, qdq) : n);
            for (String o : n.outputs()) if (needed.contains(o) && ranges.containsKey(o)) qdq.put(o, emitPair(rw, o, ranges.get(o)));
        }
        return rw.build();
    }

    private String[] emitPair(Rewrite rw, String tensor, Calibrator.Range range) {
        float[] sz = activationParams(range, options.activationType());
        String scale = rw.constant(tensor + "_s", Tensor.of(new float[] {sz[0]}));
        String zero = rw.constant(tensor + "_z", Tensor.of(options.activationType(), new byte[] {(byte) sz[1]}));
        String q = rw.emit("QuantizeLinear", tensor, List.of(tensor, scale, zero), null);
        String dq = rw.emit("DequantizeLinear", tensor, List.of(q, scale, zero), null);
        return new String[] {dq, scale};
    }

    /** {scale, zero point} of an asymmetric activation range for uint8 [0, 255] or int8 [-128, 127]. */
    static float[] activationParams(Calibrator.Range r, DType type) {
        int qmin = type == DType.UINT8 ? 0 : -128;
        int qmax = type == DType.UINT8 ? 255 : 127;
        float scale = (r.max() - r.min()) / (qmax - qmin);
        if (!(scale > 0) || !Float.isFinite(scale)) return new float[] {1f, type == DType.UINT8 ? 0 : 0};
        long zero = Math.round(qmin - r.min() / scale);
        return new float[] {scale, Math.max(qmin, Math.min(qmax, zero))};
    }

    private Node rewriteNode(Rewrite rw, Node n, Map<String, String[]> qdq) {
        List<String> inputs = new ArrayList<>(n.inputs());
        for (int i = 0; i < inputs.size(); i++) {
            String[] pair = qdq.get(inputs.get(i));
            if (pair != null) inputs.set(i, pair[0]);
        }
        int wi = Weights.weightInput(n, rw);
        if (wi >= 0) {
            Tensor w = rw.initializer(n.inputs().get(wi));
            int axis = options.perChannel() ? Weights.channelAxis(n, w) : -1;
            WeightQuant.Result r = WeightQuant.quantize(w, axis, DType.INT8, options.reduceRange());
            // ONNX Runtime's QGemm fusion wants a weight zero point shaped like the scale; Conv does not.
            Tensor zero = n.opType().equals("Conv") ? null : r.zeroPointTensor();
            String wScale = rw.constant(n.inputs().get(wi) + "_scale", r.scaleTensor());
            inputs.set(wi, dequantize(rw, n.inputs().get(wi), r.q(), wScale, zero, axis));
            String[] x = qdq.get(n.inputs().get(0));
            int bi = 2;
            if (x != null && inputs.size() > bi && rw.isInitializer(inputs.get(bi)) && biasQuantizable(n, rw, inputs.get(bi), r)) {
                float xScale = rw.initializer(x[1]).getFloat(0);
                // The bias scale x_scale * w_scale is a Mul of the two stored scales, not a third
                // stored vector; ONNX Runtime folds it before fusing QLinearConv/QGemm.
                String biasScale = rw.emit("Mul", inputs.get(bi) + "_scale", List.of(x[1], wScale), null);
                inputs.set(bi, quantizeBias(rw, inputs.get(bi), xScale, r, axis, biasScale));
            }
        }
        return withInputs(n, inputs);
    }

    private static boolean biasQuantizable(Node n, Rewrite rw, String bias, WeightQuant.Result w) {
        Tensor b = rw.initializer(bias);
        if (b.dtype() != DType.FLOAT || b.shape().rank() != 1) return false;
        if (n.opType().equals("Gemm") && (Weights.floatAttr(n, "alpha", 1f) != 1f || Weights.floatAttr(n, "beta", 1f) != 1f)) return false;
        return w.axis() < 0 || b.shape().dim(0) == w.scales().length;
    }

    private static String quantizeBias(Rewrite rw, String bias, float xScale, WeightQuant.Result w, int axis, String scale) {
        float[] b = rw.initializer(bias).toFloatArray();
        int[] q = new int[b.length];
        for (int c = 0; c < b.length; c++) {
            float s = xScale * w.scales()[axis < 0 ? 0 : c];
            q[c] = (int) Math.max(Integer.MIN_VALUE + 1L, Math.min(Integer.MAX_VALUE, Math.round((double) b[c] / s)));
        }
        return dequantize(rw, bias, Tensor.of(q, b.length), scale, null, axis < 0 ? -1 : 0);
    }

    static Node withInputs(Node n, List<String> inputs) {
        return new Node(n.name(), n.opType(), n.domain(), inputs, n.outputs(), n.attributes(), n.docString());
    }

    /**
     * Adds {@code q} with its scale (and zero point unless null) as initializers and a
     * DequantizeLinear reading them. Symmetric weights and biases have zero point 0, ONNX's
     * default, so it is left out where no consumer needs it (per channel it costs a byte, or four
     * for an int32 bias, per channel).
     */
    static String dequantize(Rewrite rw, String base, Tensor q, Tensor scale, Tensor zero, int axis) {
        return dequantize(rw, base, q, rw.constant(base + "_scale", scale), zero, axis);
    }

    /** As above, with the scale already stored (or computed) under the name {@code sn}. */
    static String dequantize(Rewrite rw, String base, Tensor q, String sn, Tensor zero, int axis) {
        String qn = rw.constant(base + "_quantized", q);
        List<String> inputs = zero == null ? List.of(qn, sn) : List.of(qn, sn, rw.constant(base + "_zero_point", zero));
        Node.Builder b = Node.builder("DequantizeLinear");
        if (axis >= 0) b.attribute("axis", (long) axis);
        return rw.emit("DequantizeLinear", base, inputs, b);
    }
}
