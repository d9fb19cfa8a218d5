package dev.edgerun.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import java.util.ArrayList;
import java.util.List;

/**
 * Weight-only int8 for MatMul and Gemm: the weight is stored as int8 (per channel by default) and
 * a DequantizeLinear restores it in float for the unchanged MatMul/Gemm. Halves the memory of
 * weight-bound models (transformers, MLPs) at almost no accuracy cost; arithmetic stays float.
 */
final class WeightOnlyQuantizer {
    private final QuantOptions options;

    WeightOnlyQuantizer(QuantOptions options) {
        this.options = options;
    }

    List<Node> candidates(Model model) {
        Rewrite rw = new Rewrite(model);
        List<Node> r = new ArrayList<>();
        for (Node n : model.graph().nodes()) if (quantizable(n, rw)) r.add(n);
        return r;
    }

    private boolean quantizable(Node n, Rewrite rw) {
        return n.domain().isEmpty() && (n.opType().equals("MatMul") || n.opType().equals("Gemm"))
                && !options.excluded(Quantizer.key(n), n.opType()) && Weights.weightInput(n, rw) >= 0;
    }

    Model quantize(Model model) {
        Rewrite rw = new Rewrite(model);
        if (options.perChannel()) rw.requireOpset(13);
        for (Node n : model.graph().nodes()) {
            if (!quantizable(n, rw)) {
                rw.emit(n);
                continue;
            }
            String wName = n.inputs().get(1);
            Tensor w = rw.initializer(wName);
            int axis = options.perChannel() ? Weights.channelAxis(n, w) : -1;
            WeightQuant.Result r = WeightQuant.quantize(w, axis, DType.INT8, options.reduceRange());
            List<String> inputs = new ArrayList<>(n.inputs());
            inputs.set(1, StaticQuantizer.dequantize(rw, wName, r.q(), r.scaleTensor(), r.zeroPointTensor(), axis));
            rw.emit(StaticQuantizer.withInputs(n, inputs));
        }
        return rw.build();
    }
}
