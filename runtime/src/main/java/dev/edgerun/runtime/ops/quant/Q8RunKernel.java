package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Q8Reusable;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The vector fast path of QuantizeLinear and DequantizeLinear (float32 ↔ int8/uint8): the tensor
 * as {@link Q8Runs}, each run converted with its own float32 scale and zero point (input 1 and the
 * optional input 2), the runs split over threads when there are enough of them.
 */
final class Q8RunKernel {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Q8RunKernel() { }

    /** Converts one run: {@code length} elements from element {@code at} of X into Y. */
    @FunctionalInterface
    interface RunConversion {
        void convert(MemorySegment x, MemorySegment y, long at, long length, float scale, int zeroPoint);
    }

    /** The kernel converting every run; {@code signed}: the 8-bit side (and so the zero point) is int8. */
    static Kernel of(ValueType outType, Q8Runs runs, boolean hasZero, boolean signed, int threads, RunConversion conversion) {
        Q8Reusable<Split> splits = new Q8Reusable<>(() -> new Split(runs, hasZero, signed, conversion));
        return Kernel.of(outType, rc -> {
            if (runs.parallel(threads)) {
                Split split = splits.claim();
                split.rc = rc;
                try {
                    rc.parallelFor(runs.count(), split);
                } finally {
                    split.rc = null;
                    splits.release(split);
                }
            } else {
                convertRuns(rc, runs, hasZero, signed, conversion, 0, runs.count());
            }
        });
    }

    /** The range body of a split call, reused across runs: {@code rc} is set for one call. */
    private static final class Split implements RunContext.RangeBody {
        private final Q8Runs runs;
        private final boolean hasZero, signed;
        private final RunConversion conversion;
        RunContext rc;

        Split(Q8Runs runs, boolean hasZero, boolean signed, RunConversion conversion) {
            this.runs = runs;
            this.hasZero = hasZero;
            this.signed = signed;
            this.conversion = conversion;
        }

        @Override
        public void run(int from, int to) {
            convertRuns(rc, runs, hasZero, signed, conversion, from, to);
        }
    }

    /** Converts runs {@code [from, to)}. */
    private static void convertRuns(RunContext rc, Q8Runs runs, boolean hasZero, boolean signed, RunConversion conversion,
                                    int from, int to) {
        MemorySegment x = rc.input(0).data();
        MemorySegment y = rc.output(0).data();
        MemorySegment scale = rc.input(1).data();
        MemorySegment zero = hasZero ? rc.input(2).data() : null;
        DType zeroType = signed ? DType.INT8 : DType.UINT8;
        for (int r = from; r < to; r++) {
            int p = runs.param(r);
            int zp = zero == null ? 0 : QuantElements.getInt(zero, zeroType, p);
            conversion.convert(x, y, runs.offset(r), runs.length(r), scale.getAtIndex(F32, p), zp);
        }
    }
}
