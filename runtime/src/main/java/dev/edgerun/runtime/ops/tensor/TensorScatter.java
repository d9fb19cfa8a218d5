package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.InvalidInputException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;

/**
 * ONNX TensorScatter (24): a KV-cache update. A copy of past_cache where, for every index before
 * {@code axis} (the first being the batch b), the update's rows along {@code axis} are written from
 * position write_indices[b] (default 0), wrapping around in "circular" mode.
 */
public final class TensorScatter implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape cache = ctx.inputShape(0);
        Shape update = ctx.inputShape(1);
        int rank = cache.rank();
        int axis = OpArgs.axis(ctx, ctx.attrInt("axis", -2), rank);
        if (axis == 0) throw ctx.error("axis must not be the batch axis 0");
        String mode = ctx.attrString("mode", "linear");
        if (!mode.equals("linear") && !mode.equals("circular")) throw ctx.error("unknown mode '" + mode + "' (linear, circular)");
        if (update.rank() != rank || ctx.inputDType(1) != ctx.inputDType(0)) throw ctx.error("update " + update + " must match past_cache " + cache + " in rank and dtype");
        for (int i = 0; i < rank; i++) {
            if (i != axis && update.dim(i) != cache.dim(i) || i == axis && update.dim(i) > cache.dim(i)) {
                throw ctx.error("update " + update + " does not fit past_cache " + cache + " at dimension " + i);
            }
        }
        boolean circular = mode.equals("circular");
        long batch = cache.dim(0);
        long prefixPerBatch = cache.product(1, axis);
        long maxLen = cache.dim(axis);
        long seqLen = update.dim(axis);
        long rowBytes = cache.product(axis + 1, rank) * OpArgs.elemBytes(ctx, ctx.inputDType(0));
        String label = ctx.node().label();
        return Kernel.of(ValueType.tensor(ctx.inputDType(0), cache), rc -> {
            ValuePlanned.copyAll(rc.input(0), rc.output(0));
            MemorySegment upd = rc.input(1).data();
            MemorySegment dst = rc.output(0).data();
            for (long b = 0; b < batch; b++) {
                long start = rc.input(2) == null ? 0 : rc.input(2).getAsLong(b);
                for (long p = 0; p < prefixPerBatch; p++) {
                    long prefix = b * prefixPerBatch + p;
                    for (long s = 0; s < seqLen; s++) {
                        long at = circular ? Math.floorMod(start + s, maxLen) : start + s;
                        if (at < 0 || at >= maxLen) {
                            throw new InvalidInputException("node '" + label + "': write index " + at + " is outside [0, " + maxLen + ")");
                        }
                        MemorySegment.copy(upd, (prefix * seqLen + s) * rowBytes, dst, (prefix * maxLen + at) * rowBytes, rowBytes);
                    }
                }
            }
        });
    }
}
