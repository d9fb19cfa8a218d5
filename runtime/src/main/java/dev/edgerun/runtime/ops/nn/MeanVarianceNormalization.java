package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * MeanVarianceNormalization: {@code (x - mean) / (sqrt(var) + 1e-9)} with mean and (biased)
 * variance over {@code axes} (default [0, 2, 3]), as the operator's function body defines it.
 * Each element's statistics slot is found from per-axis strides planned here.
 */
public final class MeanVarianceNormalization implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        long[] x = ctx.inputShape(0).dims();
        int rank = x.length;
        long[] axes = ctx.attrInts("axes", new long[] {0, 2, 3});
        boolean[] reduced = new boolean[rank];
        for (long a : axes) reduced[Nn.axis(ctx, a, rank)] = true;
        // slotStride[a]: stride of axis a in the statistics array (0 for reduced axes)
        long[] slotStride = new long[rank];
        long slots = 1;
        for (int a = rank - 1; a >= 0; a--) {
            if (!reduced[a]) {
                slotStride[a] = slots;
                slots *= x[a];
            }
        }
        long total = Nn.product(x, 0, rank);
        long perSlot = slots == 0 ? 0 : total / slots;
        long statSlots = slots;
        java.util.List<ValueType> types = java.util.List.of(Nn.tensor(DType.FLOAT, ctx.inputShape(0)));
        return new Kernel() {
            @Override public java.util.List<ValueType> outputTypes() {
                return types;
            }

            @Override public long scratchBytes() {
                return 16 * statSlots; // [slots] double sums, [slots] double sums of squares
            }

            @Override public void run(dev.edgerun.runtime.ops.RunContext r) {
                MemorySegment xs = r.input(0).data(), ys = r.output(0).data(), st = r.scratch();
                st.asSlice(0, 16 * statSlots).fill((byte) 0);
                for (long i = 0; i < total; i++) {
                    long slot = slot(i, x, slotStride);
                    double v = xs.getAtIndex(F, i);
                    st.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, slot, st.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, slot) + v);
                    st.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, statSlots + slot,
                            st.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, statSlots + slot) + v * v);
                }
                for (long i = 0; i < total; i++) {
                    long slot = slot(i, x, slotStride);
                    double mean = st.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, slot) / perSlot;
                    double var = st.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, statSlots + slot) / perSlot - mean * mean;
                    ys.setAtIndex(F, i, (float) ((xs.getAtIndex(F, i) - mean) / (Math.sqrt(Math.max(var, 0)) + 1e-9)));
                }
            }
        };
    }

    private static long slot(long index, long[] dims, long[] slotStride) {
        long slot = 0;
        for (int a = dims.length - 1; a >= 0; a--) {
            slot += (index % dims[a]) * slotStride[a];
            index /= dims[a];
        }
        return slot;
    }
}
