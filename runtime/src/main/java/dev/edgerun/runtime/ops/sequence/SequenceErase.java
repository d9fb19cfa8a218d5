package dev.edgerun.runtime.ops.sequence;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.ArrayList;
import java.util.List;

/** ONNX SequenceErase (opset 11): a new sequence without the tensor at {@code position} (default: the last). */
public final class SequenceErase implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        boolean hasPosition = ctx.hasInput(1);
        DType dtype = Sequences.elementType(ctx, 0);
        return Kernel.of(Sequences.sequenceOf(dtype == null ? DType.FLOAT : dtype), rc -> {
            List<Tensor> seq = Sequences.sequence(rc, 0, "SequenceErase");
            int at = hasPosition ? Sequences.position(rc.input(1).getAsLong(0), seq.size(), false, "SequenceErase") : seq.size() - 1;
            if (at < 0) throw new dev.edgerun.runtime.EdgerunException("SequenceErase: the sequence is empty");
            List<Tensor> result = new ArrayList<>(seq);
            result.remove(at);
            rc.setOutputValue(0, result);
        });
    }
}
