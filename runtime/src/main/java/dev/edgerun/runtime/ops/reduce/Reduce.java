package dev.edgerun.runtime.ops.reduce;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.ColdRuns;
import dev.edgerun.runtime.kernels.ReduceF32Columns;
import dev.edgerun.runtime.kernels.ReduceF32Rows;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.tensor.OpArgs;
import dev.edgerun.runtime.ops.tensor.ValuePlanned;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The ONNX Reduce* family: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1,
 * ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceSumSquare. Axes come from the attribute, or from
 * the second input (ReduceSum from opset 13, the others from 18); no axes reduce everything unless
 * {@code noop_with_empty_axes}. Floating types accumulate in double, integer types in long; an empty
 * reduction gives the operation's identity (0, 1, -inf, +inf). Contiguous float32 rows use
 * {@link ReduceF32Rows}.
 */
public final class Reduce implements Operator {

    /** The reduction; {@link #axesInputSince} is the opset where axes moved to an input. */
    public enum Kind {
        SUM(13), MEAN(18), MAX(18), MIN(18), PROD(18), L1(18), L2(18), LOG_SUM(18), LOG_SUM_EXP(18), SUM_SQUARE(18);

        final int axesInputSince;

        Kind(int axesInputSince) {
            this.axesInputSince = axesInputSince;
        }
    }

    private final Kind kind;

    public Reduce(Kind kind) {
        this.kind = kind;
    }

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape in = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        if (!Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        boolean keepDims = ctx.attrInt("keepdims", 1) != 0;
        boolean noop = ctx.attrInt("noop_with_empty_axes", 0) != 0;
        int outRank = keepDims ? in.rank() : -1;
        if (ctx.opset() < kind.axesInputSince) {
            long[] axes = ctx.attrInts("axes", null);
            return ValuePlanned.kernel(ctx, dtype, outRank, v -> plan(ctx, in, dtype, axes, keepDims, noop));
        }
        return ValuePlanned.kernel(ctx, dtype, outRank, v -> {
            Tensor axes = v.input(1);
            return plan(ctx, in, dtype, axes == null ? null : OpArgs.longs(axes), keepDims, noop);
        }, 1);
    }

    private ValuePlanned.Plan plan(NodeContext ctx, Shape in, DType dtype, long[] axes, boolean keepDims, boolean noop) {
        int rank = in.rank();
        boolean[] reduced = new boolean[rank];
        if (axes == null || axes.length == 0) {
            if (noop) return new Plan(kind, dtype, in, null, null, 0);
            Arrays.fill(reduced, true);
        } else {
            for (int a : OpArgs.axes(ctx, axes, rank)) reduced[a] = true;
        }
        long[] dims = in.dims();
        long[] strides = strides(dims);
        long[] outDims = new long[rank];
        long[] keptDims = new long[rank], keptStrides = new long[rank];
        long[] redDims = new long[rank], redStrides = new long[rank];
        int n = 0, k = 0, r = 0;
        for (int i = 0; i < rank; i++) {
            if (reduced[i]) {
                redDims[r] = dims[i];
                redStrides[r++] = strides[i];
                if (keepDims) outDims[n++] = 1;
            } else {
                keptDims[k] = dims[i];
                keptStrides[k++] = strides[i];
                outDims[n++] = dims[i];
            }
        }
        Shape out = Shape.of(Arrays.copyOf(outDims, n));
        long[] outOffsets = OpArgs.offsets(Arrays.copyOf(keptDims, k), keptStrides);
        long redCount = Shape.of(Arrays.copyOf(redDims, r)).elementCount();
        if (trailing(dims, reduced)) return new Plan(kind, dtype, out, outOffsets, null, redCount);
        return new Plan(kind, dtype, out, outOffsets, OpArgs.offsets(Arrays.copyOf(redDims, r), redStrides), redCount,
                middleInner(dims, reduced));
    }

    /**
     * The inner size when the reduced axes (ignoring size-1 axes) form one block between kept
     * ones, {@code [outer][reduced][inner]} ({@link ReduceF32Columns}); else 0.
     */
    private static int middleInner(long[] dims, boolean[] reduced) {
        int first = -1, last = -1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == 1 || !reduced[i]) continue;
            if (first < 0) first = i;
            else if (last != i - 1 && anyKeptBetween(dims, reduced, last, i)) return 0;
            last = i;
        }
        long inner = 1;
        for (int i = last + 1; i < dims.length; i++) inner *= dims[i];
        return first < 0 || inner <= 1 || inner > Integer.MAX_VALUE ? 0 : (int) inner;
    }

    private static boolean anyKeptBetween(long[] dims, boolean[] reduced, int from, int to) {
        for (int i = from + 1; i < to; i++) if (dims[i] != 1 && !reduced[i]) return true;
        return false;
    }

    /** Whether the reduced axes, ignoring size-1 axes, are the last ones: then each output reduces one contiguous run. */
    private static boolean trailing(long[] dims, boolean[] reduced) {
        boolean seenReduced = false;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == 1) continue;
            if (reduced[i]) seenReduced = true;
            else if (seenReduced) return false;
        }
        return true;
    }

    private static long[] strides(long[] dims) {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    /** One planned reduction: for output element o, reduce input elements outOffsets[o] + redOffsets[*]. */
    static final class Plan implements ValuePlanned.Plan {
        private final Kind kind;
        private final DType dtype;
        private final Shape out;
        private final long[] outOffsets; // (outCount) null for the identity
        private final long[] redOffsets; // (redCount), null when the reduced elements are contiguous
        private final long redCount;
        private final boolean rows;      // the reduced elements of each output are contiguous
        private final int columnsInner;  // > 0: the input is [outer][redCount][columnsInner] (ReduceF32Columns)
        private final ColdRuns cold = ColdRuns.fromProperty();   // ReduceF32Columns' runs on heap copies

        Plan(Kind kind, DType dtype, Shape out, long[] outOffsets, long[] redOffsets, long redCount) {
            this(kind, dtype, out, outOffsets, redOffsets, redCount, 0);
        }

        Plan(Kind kind, DType dtype, Shape out, long[] outOffsets, long[] redOffsets, long redCount, int columnsInner) {
            this.columnsInner = columnsInner;
            this.kind = kind;
            this.dtype = dtype;
            this.out = out;
            this.outOffsets = outOffsets;
            this.redOffsets = redOffsets;
            this.redCount = redCount;
            this.rows = redOffsets == null;
        }

        @Override
        public Shape outputShape() {
            return out;
        }

        @Override
        public void run(RunContext ctx, Tensor dst) {
            MemorySegment src = ctx.input(0).data();
            MemorySegment d = dst.data();
            if (outOffsets == null) {
                identity(src, d);
                return;
            }
            if (dtype == DType.FLOAT && columnsInner > 0 && redCount > 0 && (kind == Kind.SUM || kind == Kind.MEAN)) {
                long outer = outOffsets.length / columnsInner;
                float divisor = kind == Kind.MEAN ? (float) redCount : 1f;
                if (cold.takeOne()) ReduceF32Columns.sumOnHeap(src, d, outer, redCount, columnsInner, divisor);
                else ReduceF32Columns.sum(src, d, outer, redCount, columnsInner, divisor);
                return;
            }
            boolean useLong = !Elements.floating(dtype) && kind != Kind.MEAN && kind != Kind.L2
                    && kind != Kind.LOG_SUM && kind != Kind.LOG_SUM_EXP;
            for (int o = 0; o < outOffsets.length; o++) {
                long base = outOffsets[o];
                if (useLong) {
                    Elements.storeLong(d, dtype, o, reduceLong(src, base));
                } else if (dtype == DType.FLOAT && rows && redCount > 0 && fastKind()) {
                    d.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, o, reduceRow(src, base * 4));
                } else {
                    Elements.storeDouble(d, dtype, o, reduceDouble(src, base));
                }
            }
        }

        private void identity(MemorySegment src, MemorySegment d) {
            for (long i = 0; i < out.elementCount(); i++) {
                if (Elements.floating(dtype)) {
                    Elements.storeDouble(d, dtype, i, Elements.loadDouble(src, dtype, i));
                } else {
                    Elements.storeLong(d, dtype, i, Elements.loadLong(src, dtype, i));
                }
            }
        }

        private boolean fastKind() {
            return kind == Kind.SUM || kind == Kind.MEAN || kind == Kind.SUM_SQUARE || kind == Kind.L2
                    || kind == Kind.MAX || kind == Kind.MIN;
        }

        private float reduceRow(MemorySegment src, long byteOffset) {
            return switch (kind) {
                case SUM -> ReduceF32Rows.sum(Vectors.F32, src, byteOffset, redCount);
                case MEAN -> ReduceF32Rows.sum(Vectors.F32, src, byteOffset, redCount) / redCount;
                case SUM_SQUARE -> ReduceF32Rows.sumOfSquares(Vectors.F32, src, byteOffset, redCount);
                case L2 -> (float) Math.sqrt(ReduceF32Rows.sumOfSquares(Vectors.F32, src, byteOffset, redCount));
                case MAX -> ReduceF32Rows.extreme(Vectors.F32, src, byteOffset, redCount, true);
                case MIN -> ReduceF32Rows.extreme(Vectors.F32, src, byteOffset, redCount, false);
                default -> throw new IllegalStateException(kind.name());
            };
        }

        private long at(long base, long r) {
            return base + (rows ? r : redOffsets[(int) r]);
        }

        /** The scalar reference: double accumulation. */
        double reduceDouble(MemorySegment s, long base) {
            double acc;
            switch (kind) {
                case PROD -> {
                    acc = 1;
                    for (long r = 0; r < redCount; r++) acc *= Elements.loadDouble(s, dtype, at(base, r));
                }
                case MAX, MIN -> {
                    boolean max = kind == Kind.MAX;
                    acc = max ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                    for (long r = 0; r < redCount; r++) {
                        double x = Elements.loadDouble(s, dtype, at(base, r));
                        acc = max ? Math.max(acc, x) : Math.min(acc, x);
                    }
                }
                case LOG_SUM_EXP -> {
                    double m = Double.NEGATIVE_INFINITY;
                    for (long r = 0; r < redCount; r++) m = Math.max(m, Elements.loadDouble(s, dtype, at(base, r)));
                    if (Double.isInfinite(m)) return m;
                    double sum = 0;
                    for (long r = 0; r < redCount; r++) sum += Math.exp(Elements.loadDouble(s, dtype, at(base, r)) - m);
                    acc = m + Math.log(sum);
                }
                default -> {
                    acc = 0;
                    for (long r = 0; r < redCount; r++) {
                        double x = Elements.loadDouble(s, dtype, at(base, r));
                        acc += kind == Kind.L1 ? Math.abs(x) : kind == Kind.L2 || kind == Kind.SUM_SQUARE ? x * x : x;
                    }
                    acc = switch (kind) {
                        case MEAN -> acc / redCount;
                        case L2 -> Math.sqrt(acc);
                        case LOG_SUM -> Math.log(acc);
                        default -> acc;
                    };
                }
            }
            return acc;
        }

        /** Integer reductions (sum, prod, max, min, L1, sum of squares) in long, wrapping like the C types. */
        long reduceLong(MemorySegment s, long base) {
            long acc;
            switch (kind) {
                case PROD -> {
                    acc = 1;
                    for (long r = 0; r < redCount; r++) acc *= Elements.loadLong(s, dtype, at(base, r));
                }
                case MAX -> {
                    acc = Elements.minValue(dtype);
                    for (long r = 0; r < redCount; r++) acc = Math.max(acc, Elements.loadLong(s, dtype, at(base, r)));
                }
                case MIN -> {
                    acc = Elements.maxValue(dtype);
                    for (long r = 0; r < redCount; r++) acc = Math.min(acc, Elements.loadLong(s, dtype, at(base, r)));
                }
                default -> {
                    acc = 0;
                    for (long r = 0; r < redCount; r++) {
                        long x = Elements.loadLong(s, dtype, at(base, r));
                        acc += kind == Kind.L1 ? Math.abs(x) : kind == Kind.SUM_SQUARE ? x * x : x;
                    }
                }
            }
            return acc;
        }
    }
}
