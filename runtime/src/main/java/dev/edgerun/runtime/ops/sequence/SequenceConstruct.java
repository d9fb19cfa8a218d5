package dev.edgerun.runtime.ops.sequence;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.ArrayList;
import java.util.List;

/** ONNX SequenceConstruct (opset 11): a sequence of copies of the inputs, which share one dtype. */
public final class SequenceConstruct implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        int n = ctx.inputCount();
        if (n < 1) throw ctx.error("needs at least one input");
        DType dtype = ctx.inputDType(0);
        for (int i = 1; i < n; i++) {
            if (ctx.inputDType(i) != dtype) throw ctx.error("input " + i + " is " + ctx.inputDType(i).onnxName() + ", input 0 is " + dtype.onnxName());
        }
        return Kernel.of(Sequences.sequenceOf(dtype), rc -> {
            List<Tensor> seq = new ArrayList<>(n);
            for (int i = 0; i < n; i++) seq.add(Sequences.keep(rc, rc.input(i)));
            rc.setOutputValue(0, seq);
        });
    }
}
