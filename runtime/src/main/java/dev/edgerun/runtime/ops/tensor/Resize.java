package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32ResizePass;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.kernels.nativelib.DnnlResampleKernel;
import dev.edgerun.runtime.ops.InternalLayoutKernel;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.reduce.Elements;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX Resize (10, 11, 13, 18, 19) and Upsample (7, 9): nearest, linear and cubic interpolation,
 * every coordinate_transformation_mode and nearest_mode, antialias, exclude_outside, axes,
 * keep_aspect_ratio_policy, scales or sizes. Each resized axis gets a table of source indices and
 * weights (as the ONNX reference computes them); nearest without extrapolation then gathers
 * elements of any dtype, everything else runs one separable float32 pass per axis (other numeric
 * dtypes through float32).
 */
public final class Resize implements Operator {
    private final boolean upsample;

    /** @param upsample true for the deprecated Upsample operator (asymmetric, floor, scales only) */
    public Resize(boolean upsample) {
        this.upsample = upsample;
    }

    /** The attributes, parsed once. */
    private record Config(String mode, String coordinates, String nearestMode, double cubicA, boolean excludeOutside,
                          float extrapolation, boolean antialias, String keepAspect, long[] axes) {}

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape in = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        int esize = OpArgs.elemBytes(ctx, dtype);
        boolean legacy = upsample || ctx.opset() < 11;
        String mode = ctx.attrString("mode", "nearest");
        if (mode.equals("bilinear")) mode = "linear";
        if (!mode.equals("nearest") && !mode.equals("linear") && !mode.equals("cubic")) throw ctx.error("unknown mode '" + mode + "'");
        Config cfg = new Config(mode,
                legacy ? "asymmetric" : ctx.attrString("coordinate_transformation_mode", "half_pixel"),
                legacy ? "floor" : ctx.attrString("nearest_mode", "round_prefer_floor"),
                ctx.attrFloat("cubic_coeff_a", -0.75f),
                ctx.attrInt("exclude_outside", 0) != 0,
                ctx.attrFloat("extrapolation_value", 0f),
                ctx.attrInt("antialias", 0) != 0,
                ctx.attrString("keep_aspect_ratio_policy", "stretch"),
                ctx.attrInts("axes", null));
        if (!mode.equals("nearest") && !Elements.supported(dtype)) throw ctx.unsupported(mode + " interpolation of " + dtype.onnxName());
        if (upsample && ctx.opset() < 9) {
            double[] scales = toDoubles(ctx.attrFloats("scales", null));
            return ValuePlanned.kernel(ctx, dtype, in.rank(), v -> plan(ctx, cfg, in, dtype, esize, null, scales, null));
        }
        if (legacy) {
            return ValuePlanned.kernel(ctx, dtype, in.rank(),
                    v -> plan(ctx, cfg, in, dtype, esize, null, values(v.input(1)), null), 1);
        }
        ValuePlanned.Planner planner = v -> plan(ctx, cfg, in, dtype, esize,
                values(v.input(1)), values(v.input(2)), v.input(3) == null || v.input(3).elementCount() == 0 ? null : OpArgs.longs(v.input(3)));
        Kernel dense = ValuePlanned.kernel(ctx, dtype, in.rank(), planner, 1, 2, 3);
        return withBlockedUpsampling(ctx, in, dtype, dense, planner);
    }

    /**
     * {@code dense}, able to run as oneDNN's resampling on 16-channel blocks between two oneDNN
     * convolutions ({@link BlockableResize}) where the resize is a nearest upsampling of a 4-D
     * float tensor by whole factors along H and W that picks input index {@code floor(o / f)}
     * (the one oneDNN picks), with constant scales or sizes.
     */
    private static Kernel withBlockedUpsampling(NodeContext ctx, Shape in, DType dtype, Kernel dense,
                                                ValuePlanned.Planner planner) {
        if (dtype != DType.FLOAT || in.rank() != 4 || !in.isConcrete()) return dense;
        for (int i = 1; i <= 3; i++) if (ctx.hasInput(i) && ctx.constantInput(i) == null) return dense;
        if (!(planner.plan(i -> ctx.hasInput(i) ? ctx.constantInput(i) : null) instanceof ResizePlan p) || !p.picksFloorOfWholeFactors()) {
            return dense;
        }
        return DnnlResampleKernel.nearestBlocked(in.dims(), p.out.dims())
                .<Kernel>map(k -> new BlockableResize(dense, k, ctx.threads(), false))
                .orElse(dense);
    }

    /**
     * A resize that runs as {@code dense} on NCHW tensors, or, once the planner switched both its
     * input and output to oneDNN's 16-channel blocks ({@link InternalLayoutKernel}), as {@code blocked}.
     */
    private record BlockableResize(Kernel dense, DnnlResampleKernel blocked, int threads, boolean switched)
            implements InternalLayoutKernel {
        @Override
        public List<ValueType> outputTypes() {
            return dense.outputTypes();
        }

        @Override
        public long scratchBytes() {
            return switched ? blocked.scratchBytes() : dense.scratchBytes();
        }

        @Override
        public KernelProvider.ConvKernel.Layout internalInputLayout() {
            return blocked.inputLayout();
        }

        @Override
        public KernelProvider.ConvKernel.Layout internalOutputLayout() {
            return blocked.outputLayout();
        }

        /** Both sides blocked, or neither: oneDNN's resampling has no reorder of its own here. */
        @Override
        public Kernel withInternalLayouts(boolean input, boolean output) {
            if (input != output) return null;
            return input ? new BlockableResize(dense, blocked, threads, true) : this;
        }

        @Override
        public void run(RunContext ctx) {
            if (switched) blocked.run(ctx.input(0).data(), ctx.output(0).data(), ctx.scratch(), threads);
            else dense.run(ctx);
        }
    }

    private static double[] values(Tensor t) {
        return t == null || t.elementCount() == 0 ? null : OpArgs.doubles(t);
    }

    private static double[] toDoubles(float[] f) {
        if (f == null) return null;
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static ValuePlanned.Plan plan(NodeContext ctx, Config cfg, Shape in, DType dtype, int esize,
                                          double[] roi, double[] scalesIn, long[] sizesIn) {
        int rank = in.rank();
        int[] axes = cfg.axes == null ? allAxes(rank) : OpArgs.axes(ctx, cfg.axes, rank);
        double[] scales = new double[rank];
        long[] outDims = in.dims();
        Arrays.fill(scales, 1.0);
        if (sizesIn != null) {
            if (sizesIn.length != axes.length) throw ctx.error("sizes has " + sizesIn.length + " values for " + axes.length + " axes");
            for (int i = 0; i < axes.length; i++) scales[axes[i]] = (double) sizesIn[i] / in.dim(axes[i]);
            if (!cfg.keepAspect.equals("stretch")) {
                double s = cfg.keepAspect.equals("not_larger") ? Double.MAX_VALUE : 0;
                for (int a : axes) s = cfg.keepAspect.equals("not_larger") ? Math.min(s, scales[a]) : Math.max(s, scales[a]);
                for (int a : axes) {
                    scales[a] = s;
                    outDims[a] = (long) (s * in.dim(a) + 0.5);
                }
            } else {
                for (int i = 0; i < axes.length; i++) outDims[axes[i]] = sizesIn[i];
            }
        } else if (scalesIn != null) {
            if (scalesIn.length != axes.length) throw ctx.error("scales has " + scalesIn.length + " values for " + axes.length + " axes");
            for (int i = 0; i < axes.length; i++) {
                if (scalesIn[i] <= 0) throw ctx.error("scales " + Arrays.toString(scalesIn) + " must be positive");
                scales[axes[i]] = scalesIn[i];
                outDims[axes[i]] = (long) Math.floor(scalesIn[i] * in.dim(axes[i]));
            }
        } else {
            throw ctx.error("needs either scales or sizes");
        }
        double[] roiStart = new double[rank];
        double[] roiEnd = new double[rank];
        Arrays.fill(roiEnd, 1.0);
        if (roi != null && cfg.coordinates.equals("tf_crop_and_resize")) {
            if (roi.length != 2 * axes.length) throw ctx.error("roi has " + roi.length + " values, expected " + 2 * axes.length);
            for (int i = 0; i < axes.length; i++) {
                roiStart[axes[i]] = roi[i];
                roiEnd[axes[i]] = roi[axes.length + i];
            }
        }
        AxisTable[] tables = new AxisTable[rank];
        boolean gather = cfg.mode.equals("nearest");
        for (int a = 0; a < rank; a++) {
            tables[a] = AxisTable.build(cfg, (int) in.dim(a), OpArgs.tableLength(ctx, outDims[a], a), scales[a], roiStart[a], roiEnd[a]);
            gather &= tables[a].extrapolate == null;
        }
        if (!gather && !Elements.supported(dtype)) throw ctx.unsupported("extrapolation for " + dtype.onnxName());
        return new ResizePlan(in, Shape.of(outDims), tables, dtype, esize, cfg.extrapolation, gather);
    }

    private static int[] allAxes(int rank) {
        int[] a = new int[rank];
        for (int i = 0; i < rank; i++) a[i] = i;
        return a;
    }

    /** Source rows and weights of every output index along one axis. */
    static final class AxisTable {
        final int inLen;
        final int outLen;
        final int taps;
        final int[] index;           // (outLen, taps), clamped to [0, inLen)
        final float[] weight;        // (outLen, taps)
        final boolean[] extrapolate; // (outLen), null when no index lies outside the input
        final boolean identity;

        private AxisTable(int inLen, int outLen, int taps, int[] index, float[] weight, boolean[] extrapolate) {
            this.inLen = inLen;
            this.outLen = outLen;
            this.taps = taps;
            this.index = index;
            this.weight = weight;
            this.extrapolate = extrapolate;
            boolean id = inLen == outLen && extrapolate == null;
            for (int j = 0; id && j < outLen; j++) {
                for (int t = 0; t < taps; t++) {
                    float w = weight[j * taps + t];
                    if (w != 0f && (w != 1f || index[j * taps + t] != j)) id = false;
                }
            }
            this.identity = id;
        }

        static AxisTable build(Config cfg, int inLen, int outLen, double scale, double roiStart, double roiEnd) {
            double outWidth = scale * inLen;
            int taps = taps(cfg, scale);
            int[] index = new int[outLen * taps];
            float[] weight = new float[outLen * taps];
            boolean[] extrapolate = null;
            double[] c = new double[taps];
            for (int j = 0; j < outLen; j++) {
                double x = original(cfg.coordinates, j, scale, inLen, outLen, outWidth, roiStart, roiEnd);
                if (cfg.coordinates.equals("tf_crop_and_resize") && (x < 0 || x > inLen - 1)) {
                    if (extrapolate == null) extrapolate = new boolean[outLen];
                    extrapolate[j] = true;
                    continue;
                }
                long f = (long) Math.floor(x);
                double ratio = x - f;
                if (ratio == 0) { // the reference prefers the left neighbour: ratio in (0, 1]
                    f -= 1;
                    ratio = 1;
                }
                coefficients(cfg, ratio, scale, c);
                long first = f - (taps / 2 - 1);
                double sum = 0;
                for (int t = 0; t < taps; t++) {
                    long k = first + t;
                    if (cfg.excludeOutside && (k < 0 || k >= inLen)) c[t] = 0;
                    sum += c[t];
                }
                for (int t = 0; t < taps; t++) {
                    index[j * taps + t] = (int) Math.max(0, Math.min(inLen - 1, first + t));
                    weight[j * taps + t] = (float) (cfg.excludeOutside ? c[t] / sum : c[t]);
                }
            }
            return new AxisTable(inLen, outLen, taps, index, weight, extrapolate);
        }

        private static int taps(Config cfg, double scale) {
            double s = Math.min(scale, 1.0);
            return switch (cfg.mode) {
                case "nearest" -> 2;
                case "linear" -> cfg.antialias ? 2 - 2 * (int) (Math.floor(-1 / s) + 1) : 2;
                default -> cfg.antialias ? 2 - 2 * (int) (Math.floor(-2 / s) + 1) : 4;
            };
        }

        /** The reference's coefficient functions, for taps starting at floor(x) - taps/2 + 1. */
        private static void coefficients(Config cfg, double ratio, double scale, double[] c) {
            switch (cfg.mode) {
                case "nearest" -> {
                    boolean right = ratio == 1 || switch (cfg.nearestMode) {
                        case "round_prefer_ceil" -> ratio >= 0.5;
                        case "floor" -> false;
                        case "ceil" -> true;
                        default -> ratio > 0.5; // round_prefer_floor
                    };
                    c[0] = right ? 0 : 1;
                    c[1] = right ? 1 : 0;
                }
                case "linear" -> {
                    if (!cfg.antialias) {
                        c[0] = 1 - ratio;
                        c[1] = ratio;
                    } else {
                        double s = Math.min(scale, 1.0);
                        int start = 1 - c.length / 2;
                        for (int t = 0; t < c.length; t++) c[t] = Math.max(0, Math.min(1, 1 - Math.abs((start + t - ratio) * s)));
                        normalise(c);
                    }
                }
                default -> {
                    double a = cfg.cubicA;
                    if (!cfg.antialias) {
                        c[0] = cubic(a, ratio + 1);
                        c[1] = cubic(a, ratio);
                        c[2] = cubic(a, 1 - ratio);
                        c[3] = cubic(a, 2 - ratio);
                    } else {
                        double s = Math.min(scale, 1.0);
                        int start = 1 - c.length / 2;
                        for (int t = 0; t < c.length; t++) c[t] = cubic(a, s * (start + t - ratio));
                        normalise(c);
                    }
                }
            }
        }

        private static double cubic(double a, double x) {
            x = Math.abs(x);
            if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
            if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
            return 0;
        }

        private static void normalise(double[] c) {
            double sum = 0;
            for (double v : c) sum += v;
            for (int t = 0; t < c.length; t++) c[t] /= sum;
        }

        /** Output index {@code x} in input coordinates, per coordinate_transformation_mode. */
        private static double original(String mode, double x, double scale, int inLen, int outLen, double outWidth,
                                       double roiStart, double roiEnd) {
            return switch (mode) {
                case "align_corners" -> outWidth == 1 ? 0 : x * (inLen - 1) / (outWidth - 1);
                case "asymmetric" -> x / scale;
                case "tf_crop_and_resize" -> (outWidth == 1
                        ? (roiEnd - roiStart) * (inLen - 1) / 2
                        : x * (roiEnd - roiStart) * (inLen - 1) / (outWidth - 1)) + roiStart * (inLen - 1);
                case "pytorch_half_pixel" -> outWidth == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
                case "half_pixel_symmetric" -> {
                    double adjustment = outLen / outWidth;
                    double center = inLen / 2.0;
                    yield center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
                }
                case "tf_half_pixel_for_nn" -> (x + 0.5) / scale;
                default -> (x + 0.5) / scale - 0.5; // half_pixel
            };
        }
    }

    /** Runs the tables: a gather for nearest, else one separable float pass per resized axis. */
    private static final class ResizePlan implements ValuePlanned.Plan {
        private final Shape out;
        private final long[] inDims;
        private final long[] inStrides;  // bytes
        private final long[] outStrides; // bytes
        private final AxisTable[] tables;
        private final DType dtype;
        private final int esize;
        private final float fill;
        private final boolean gather;
        private final int[][] picks; // nearest: per axis, the input index of each output index
        private final boolean lastDoubles; // nearest: the last axis repeats every element twice (2x upsampling)
        private final int[] passes; // axes that are not the identity, for the float path
        private final Shape[] passShapes; // shape after each pass
        private final long[] passOuter;
        private final long[] passInner;

        ResizePlan(Shape in, Shape out, AxisTable[] tables, DType dtype, int esize, float fill, boolean gather) {
            this.dtype = dtype;
            this.out = out;
            this.inDims = in.dims();
            this.inStrides = StridedCopy.contiguousStrides(inDims);
            this.outStrides = StridedCopy.contiguousStrides(out.dims());
            for (int i = 0; i < inStrides.length; i++) {
                inStrides[i] *= esize;
                outStrides[i] *= esize;
            }
            this.tables = tables;
            this.esize = esize;
            this.fill = fill;
            this.gather = gather;
            this.picks = gather ? nearestPicks(tables) : null;
            this.lastDoubles = gather && repeatsEachTwice(picks[picks.length - 1], tables[tables.length - 1].inLen);
            this.passes = Arrays.stream(allAxes(tables.length)).filter(a -> !tables[a].identity).toArray();
            this.passShapes = new Shape[passes.length];
            this.passOuter = new long[passes.length];
            this.passInner = new long[passes.length];
            long[] dims = inDims.clone();
            for (int p = 0; p < passes.length; p++) {
                int a = passes[p];
                passOuter[p] = product(dims, 0, a);
                passInner[p] = product(dims, a + 1, dims.length);
                dims[a] = tables[a].outLen;
                passShapes[p] = Shape.of(dims);
            }
        }

        @Override
        public Shape outputShape() {
            return out;
        }

        @Override
        public void run(RunContext ctx, Tensor dst) {
            MemorySegment src = ctx.input(0).data();
            if (out.elementCount() == 0) return;
            if (passes.length == 0) {
                dst.data().copyFrom(src);
            } else if (gather) {
                gather(0, src, 0, dst.data(), 0);
            } else {
                separable(ctx, src, dst.data());
            }
        }

        /**
         * Nearest: every output element copies the one input element its tables select (the tap of
         * weight 1). An output block whose source equals the previous block's (a repeated row when
         * upsampling) is copied from that block in one bulk copy.
         */
        private void gather(int axis, MemorySegment src, long so, MemorySegment dst, long dof) {
            int[] pick = picks[axis];
            if (axis == tables.length - 1) {
                gatherLast(pick, src, so, dst, dof);
                return;
            }
            long block = outStrides[axis];
            for (int j = 0; j < pick.length; j++) {
                long d = dof + j * block;
                if (j > 0 && pick[j] == pick[j - 1]) {
                    MemorySegment.copy(dst, d - block, dst, d, block);
                } else {
                    gather(axis + 1, src, so + pick[j] * inStrides[axis], dst, d);
                }
            }
        }

        private void gatherLast(int[] pick, MemorySegment src, long so, MemorySegment dst, long dof) {
            if (esize == 4 && lastDoubles) {
                F32ResizePass.repeatPairs(Vectors.F32, src, so, dst, dof, pick.length / 2);
                return;
            }
            if (esize == 4) {
                for (int j = 0; j < pick.length; j++) {
                    dst.set(ValueLayout.JAVA_INT_UNALIGNED, dof + 4L * j, src.get(ValueLayout.JAVA_INT_UNALIGNED, so + 4L * pick[j]));
                }
                return;
            }
            for (int j = 0; j < pick.length; j++) {
                StridedCopy.copyElement(src, so + pick[j] * inStrides[tables.length - 1], dst, dof + j * outStrides[tables.length - 1], esize);
            }
        }

        /**
         * Whether this is a nearest gather that keeps N and C and picks {@code floor(o / f)} along H
         * and W for whole factors {@code f}.
         */
        boolean picksFloorOfWholeFactors() {
            if (!gather || picks.length != 4) return false;
            for (int a = 0; a < 4; a++) {
                long f = out.dim(a) / inDims[a];
                if (out.dim(a) != f * inDims[a] || (a < 2 && f != 1)) return false;
                for (int o = 0; o < picks[a].length; o++) if (picks[a][o] != o / f) return false;
            }
            return true;
        }

        private static boolean repeatsEachTwice(int[] pick, int inLen) {
            if (pick.length != 2 * inLen) return false;
            for (int j = 0; j < pick.length; j++) if (pick[j] != j / 2) return false;
            return true;
        }

        /** Per axis, the input index each output index copies under nearest (the tap of weight 1). */
        private static int[][] nearestPicks(AxisTable[] tables) {
            int[][] picks = new int[tables.length][];
            for (int a = 0; a < tables.length; a++) {
                AxisTable t = tables[a];
                picks[a] = new int[t.outLen];
                for (int j = 0; j < t.outLen; j++) picks[a][j] = t.weight[j * 2] != 0f ? t.index[j * 2] : t.index[j * 2 + 1];
            }
            return picks;
        }

        /** One float32 pass per resized axis; other dtypes are converted to float32 before and back after (truncating, as the reference). */
        private void separable(RunContext ctx, MemorySegment src, MemorySegment dst) {
            boolean f32 = dtype == DType.FLOAT;
            MemorySegment cur = f32 ? src : toFloat(ctx, src);
            for (int p = 0; p < passes.length; p++) {
                AxisTable t = tables[passes[p]];
                boolean last = p == passes.length - 1;
                MemorySegment next = last && f32 ? dst : ctx.allocateTemp(DType.FLOAT, passShapes[p]).data();
                F32ResizePass.run(Vectors.F32, cur, next, passOuter[p], t.inLen, passInner[p], t.outLen, t.taps, t.index, t.weight, t.extrapolate, fill);
                cur = next;
            }
            if (!f32) {
                for (long i = 0; i < out.elementCount(); i++) Elements.storeDouble(dst, dtype, i, cur.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i));
            }
        }

        private MemorySegment toFloat(RunContext ctx, MemorySegment src) {
            MemorySegment f = ctx.allocateTemp(DType.FLOAT, Shape.of(inDims)).data();
            long n = f.byteSize() / 4;
            for (long i = 0; i < n; i++) f.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) Elements.loadDouble(src, dtype, i));
            return f;
        }

        private static long product(long[] dims, int from, int to) {
            long n = 1;
            for (int i = from; i < to; i++) n *= dims[i];
            return n;
        }
    }
}
