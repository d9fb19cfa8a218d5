package dev.edgerun.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Dynamic int8, in the form ONNX Runtime's quantizer emits: the activation is quantized at run time
 * ({@code DynamicQuantizeLinear}, uint8), multiplied with int8 weights by {@code MatMulInteger} or
 * {@code ConvInteger} into int32, then {@code Cast} to float and scaled by {@code x_scale * w_scale};
 * the bias is added in float. Conv is quantized only where every target engine implements
 * ConvInteger, with the weight type it accepts (uint8 for ONNX Runtime).
 */
final class DynamicQuantizer {
    private final QuantOptions options;
    private final TargetOps target;
    private final Map<String, Observer.TensorInfo> census;

    DynamicQuantizer(QuantOptions options, TargetOps target, Map<String, Observer.TensorInfo> census) {
        this.options = options;
        this.target = target;
        this.census = census;
    }

    /** The nodes this quantizer rewrites in {@code model}. */
    List<Node> candidates(Model model) {
        Rewrite rw = new Rewrite(model);
        List<Node> r = new ArrayList<>();
        for (Node n : model.graph().nodes()) if (quantizable(n, rw)) r.add(n);
        return r;
    }

    private boolean quantizable(Node n, Rewrite rw) {
        if (!n.domain().isEmpty() || options.excluded(Quantizer.key(n), n.opType())) return false;
        if (Weights.weightInput(n, rw) < 0) return false;
        Observer.TensorInfo x = census.get(n.inputs().get(0));
        if (x == null || x.dtype() != DType.FLOAT || rw.isInitializer(n.inputs().get(0))) return false;
        if (!target.supports("DynamicQuantizeLinear") || !target.supports("Cast") || !target.supports("Mul")) return false;
        return switch (n.opType()) {
            case "MatMul" -> target.supports("MatMulInteger", DType.INT8) && rw.initializer(n.inputs().get(1)).shape().rank() == 2;
            case "Gemm" -> target.supports("MatMulInteger", DType.INT8) && Weights.intAttr(n, "transA", 0) == 0
                    && x.shape() != null && x.shape().rank() == 2 && (n.inputs().size() < 3 || n.inputs().get(2).isEmpty()
                    || rw.isInitializer(n.inputs().get(2)));
            case "Conv" -> target.convIntegerWeightType() != null && (n.inputs().size() < 3 || n.inputs().get(2).isEmpty()
                    || rw.isInitializer(n.inputs().get(2)) && rw.initializer(n.inputs().get(2)).shape().rank() == 1);
            default -> false;
        };
    }

    Model quantize(Model model) {
        Rewrite rw = new Rewrite(model);
        rw.requireOpset(11);
        Map<String, String[]> dynamic = new HashMap<>(); // activation -> {uint8, scale, zero point}
        for (Node n : model.graph().nodes()) {
            if (!quantizable(n, rw)) {
                rw.emit(n);
                continue;
            }
            String x = n.inputs().get(0);
            String[] xq = dynamic.computeIfAbsent(x, k -> quantizeActivation(rw, k));
            switch (n.opType()) {
                case "Conv" -> conv(rw, n, xq);
                default -> matMul(rw, n, xq);
            }
        }
        return rw.build();
    }

    private static String[] quantizeActivation(Rewrite rw, String x) {
        String q = rw.fresh(x + "_quantized");
        String s = rw.fresh(x + "_scale");
        String z = rw.fresh(x + "_zero_point");
        rw.emit(Node.builder("DynamicQuantizeLinear").name(rw.fresh(x + "_DynamicQuantizeLinear"))
                .inputs(x).outputs(q, s, z).build());
        return new String[] {q, s, z};
    }

    private void matMul(Rewrite rw, Node n, String[] xq) {
        String base = Quantizer.key(n);
        Tensor w = rw.initializer(n.inputs().get(1));
        boolean gemm = n.opType().equals("Gemm");
        boolean transposed = gemm && Weights.intAttr(n, "transB", 0) == 1;
        // MatMulInteger wants (K, N); a transposed Gemm weight is stored (N, K).
        Tensor kn = transposed ? transpose2d(w) : w;
        WeightQuant.Result r;
        try {
            r = WeightQuant.quantize(kn, options.perChannel() ? 1 : -1, DType.INT8, options.reduceRange());
        } finally {
            if (transposed) kn.close();
        }
        float alpha = gemm ? Weights.floatAttr(n, "alpha", 1f) : 1f;
        String wq = rw.constant(n.inputs().get(1) + "_quantized", r.q());
        String wz = rw.constant(n.inputs().get(1) + "_zero_point", r.scalarZeroPoint());
        String acc = rw.emit("MatMulInteger", base, List.of(xq[0], wq, xq[2], wz), null);
        String bias = gemm && n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() ? gemmBias(rw, n) : null;
        scaleAndBias(rw, n, base, acc, xq[1], scaled(r, alpha, r.axis() < 0 ? null : new long[] {r.scales().length}), bias);
    }

    private void conv(Rewrite rw, Node n, String[] xq) {
        String base = Quantizer.key(n);
        Tensor w = rw.initializer(n.inputs().get(1));
        WeightQuant.Result r = WeightQuant.quantize(w, options.perChannel() ? 0 : -1, target.convIntegerWeightType(), options.reduceRange());
        String wq = rw.constant(n.inputs().get(1) + "_quantized", r.q());
        String wz = rw.constant(n.inputs().get(1) + "_zero_point", r.scalarZeroPoint());
        Node.Builder attrs = Node.builder("ConvInteger");
        for (Attribute a : n.attributes().values()) attrs.attribute(a);
        String acc = rw.emit("ConvInteger", base, List.of(xq[0], wq, xq[2], wz), attrs);
        // Per output channel along axis 1 of (N, M, spatial...): scale and bias shaped (M, 1, ...).
        long[] channelShape = new long[w.shape().rank() - 1];
        java.util.Arrays.fill(channelShape, 1);
        channelShape[0] = w.shape().dim(0);
        String bias = null;
        if (n.inputs().size() > 2 && !n.inputs().get(2).isEmpty()) {
            bias = rw.constant(n.inputs().get(2) + "_channels", Tensor.of(rw.initializer(n.inputs().get(2)).toFloatArray(), channelShape));
        }
        scaleAndBias(rw, n, base, acc, xq[1], scaled(r, 1f, r.axis() < 0 ? null : channelShape), bias);
    }

    /** Emits Cast(acc) * (x_scale * w_scale) [+ bias], the last node writing the node's original output. */
    private static void scaleAndBias(Rewrite rw, Node n, String base, String acc, String xScale, Tensor wScale, String bias) {
        String f = rw.emit("Cast", base, List.of(acc), Node.builder("Cast").attribute("to", (long) DType.FLOAT.onnxCode()));
        String ws = rw.constant(base + "_weight_scale", wScale);
        String s = rw.emit("Mul", base + "_scales", List.of(xScale, ws), null);
        String out = n.outputs().get(0);
        if (bias == null) {
            rw.emit(Node.builder("Mul").name(rw.fresh(base + "_Mul")).inputs(f, s).outputs(out).build());
        } else {
            String y = rw.emit("Mul", base, List.of(f, s), null);
            rw.emit(Node.builder("Add").name(rw.fresh(base + "_Add")).inputs(y, bias).outputs(out).build());
        }
    }

    /** The weight scales times {@code alpha}, shaped {@code shape} (a scalar when null). */
    private static Tensor scaled(WeightQuant.Result r, float alpha, long[] shape) {
        float[] s = r.scales().clone();
        for (int i = 0; i < s.length; i++) s[i] *= alpha;
        return shape == null ? Tensor.of(new float[] {s[0]}) : Tensor.of(s, shape);
    }

    /** Gemm's C times beta, as an initializer (the original when beta is 1). */
    private static String gemmBias(Rewrite rw, Node n) {
        String c = n.inputs().get(2);
        float beta = Weights.floatAttr(n, "beta", 1f);
        if (beta == 1f) return c;
        Tensor t = rw.initializer(c);
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] *= beta;
        return rw.constant(c + "_beta", Tensor.of(v, t.shape().dims()));
    }

    static Tensor transpose2d(Tensor w) {
        float[] v = w.toFloatArray();
        int rows = (int) w.shape().dim(0);
        int cols = (int) w.shape().dim(1);
        float[] t = new float[v.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = v[i * cols + j];
        return Tensor.of(t, cols, rows);
    }
}
