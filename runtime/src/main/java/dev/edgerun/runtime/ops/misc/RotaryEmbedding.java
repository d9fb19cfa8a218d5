package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;

/**
 * ONNX RotaryEmbedding (opset 23): rotates the first {@code rotary_embedding_dim} values of every
 * head by position-dependent angles, pairing element k with k + dim/2 (or 2k with 2k+1 when
 * {@code interleaved}). Input [batch, heads, seq, head] or [batch, seq, heads * head]
 * ({@code num_heads} given); cos/sin caches are [max_pos, dim/2] indexed by position_ids
 * [batch, seq], or [batch, seq, dim/2] without position_ids.
 */
public final class RotaryEmbedding implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape x = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        if (!dtype.isFloatingPoint() || !Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        boolean fourD = x.rank() == 4;
        if (x.rank() != 3 && !fourD) throw ctx.error("input must have rank 3 or 4, got " + x);
        int batch = (int) x.dim(0);
        int heads = fourD ? (int) x.dim(1) : (int) ctx.attrInt("num_heads", 0);
        if (heads <= 0) throw ctx.error("3-D input needs attribute num_heads");
        int seq = (int) (fourD ? x.dim(2) : x.dim(1));
        int head = (int) (fourD ? x.dim(3) : x.dim(2) / heads);
        long dimAttr = ctx.attrInt("rotary_embedding_dim", 0);
        int rotary = dimAttr == 0 ? head : (int) dimAttr;
        if (rotary > head || rotary % 2 != 0) throw ctx.error("rotary_embedding_dim " + rotary + " must be even and at most " + head);
        int half = rotary / 2;
        boolean interleaved = ctx.attrInt("interleaved", 0) != 0;
        boolean hasPositions = ctx.hasInput(3);
        DType cacheType = ctx.inputDType(1);
        if (ctx.inputShape(1).dim(-1) != half) throw ctx.error("cos_cache last dimension must be " + half + ", got " + ctx.inputShape(1));
        return Kernel.of(ValueType.tensor(dtype, x), rc -> {
            MemorySegment in = rc.input(0).data();
            MemorySegment cos = rc.input(1).data();
            MemorySegment sin = rc.input(2).data();
            MemorySegment out = rc.output(0).data();
            for (int b = 0; b < batch; b++) {
                for (int s = 0; s < seq; s++) {
                    long cacheRow = (hasPositions ? rc.input(3).getAsLong((long) b * seq + s) : (long) b * seq + s) * half;
                    for (int h = 0; h < heads; h++) {
                        long base = fourD ? (((long) b * heads + h) * seq + s) * head : ((long) b * seq + s) * heads * head + (long) h * head;
                        for (int k = 0; k < half; k++) {
                            double c = Elements.get(cos, cacheType, cacheRow + k);
                            double sn = Elements.get(sin, cacheType, cacheRow + k);
                            long i1 = base + (interleaved ? 2L * k : k);
                            long i2 = base + (interleaved ? 2L * k + 1 : k + half);
                            double x1 = Elements.get(in, dtype, i1);
                            double x2 = Elements.get(in, dtype, i2);
                            Elements.put(out, dtype, i1, c * x1 - sn * x2);
                            Elements.put(out, dtype, i2, sn * x1 + c * x2);
                        }
                        for (int d = rotary; d < head; d++) Elements.put(out, dtype, base + d, Elements.get(in, dtype, base + d));
                    }
                }
            }
        });
    }
}
