package dev.edgerun.runtime.ops.sequence;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.ArrayList;
import java.util.List;

/** ONNX SequenceInsert (opset 11): a new sequence with a copy of the tensor at {@code position} (default: the end). */
public final class SequenceInsert implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        boolean hasPosition = ctx.hasInput(2);
        return Kernel.of(Sequences.sequenceOf(ctx.inputDType(1)), rc -> {
            List<Tensor> seq = Sequences.sequence(rc, 0, "SequenceInsert");
            int at = hasPosition ? Sequences.position(rc.input(2).getAsLong(0), seq.size(), true, "SequenceInsert") : seq.size();
            List<Tensor> result = new ArrayList<>(seq);
            result.add(at, Sequences.keep(rc, rc.input(1)));
            rc.setOutputValue(0, result);
        });
    }
}
