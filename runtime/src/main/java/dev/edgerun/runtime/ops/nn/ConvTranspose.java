package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * ConvTranspose by a kernel provider's transposed convolution where one takes it
 * ({@link KernelSelection#convTranspose}: oneDNN's deconvolution), else as GEMM + col2im: per image and group, {@code col[Mg*prod(k), P] = W_g^T . X_g}
 * (a GEMM from the kernel providers, constant weights packed once), then the columns are scatter-added into the
 * output, which starts at the bias. Output size from {@code output_shape}, or from strides, pads,
 * {@code output_padding} and dilations, as in the ONNX reference.
 */
public final class ConvTranspose implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        Nn.requireFloat(ctx, 1);
        long[] x = ctx.inputShape(0).dims(), w = ctx.inputShape(1).dims();
        if (x.length < 3 || w.length != x.length) {
            throw ctx.error("X must be [N, C, spatial...] and W [C, M/group, kernel...], got X" + ctx.inputShape(0) + " W" + ctx.inputShape(1));
        }
        int r = x.length - 2;
        int group = (int) ctx.attrInt("group", 1);
        if (group <= 0 || x[1] != w[0] || x[1] % group != 0) {
            throw ctx.error("W" + ctx.inputShape(1) + " must have X's " + x[1] + " channels first, divisible by group " + group);
        }
        int[] in = Spatial.spatialDims(x), kernel = Spatial.spatialDims(w);
        int[] s = Spatial.ints(ctx, "strides", r, 1), d = Spatial.ints(ctx, "dilations", r, 1);
        int[] outPad = Spatial.ints(ctx, "output_padding", r, 0);
        long[] padsAttr = ctx.attrInts("pads", null);
        long[] shapeAttr = ctx.attrInts("output_shape", null);
        String autoPad = ctx.attrString("auto_pad", "NOTSET");
        int[] pb = new int[r], out = new int[r];
        for (int a = 0; a < r; a++) {
            int full = s[a] * (in[a] - 1) + outPad[a] + (kernel[a] - 1) * d[a] + 1;
            boolean same = autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER");
            if (padsAttr != null && !same) {
                if (padsAttr.length != 2 * r) throw ctx.error("pads has " + padsAttr.length + " values, expected " + 2 * r);
                pb[a] = (int) padsAttr[a];
                out[a] = shapeAttr != null ? (int) shapeAttr[shapeAttr.length - r + a] : full - pb[a] - (int) padsAttr[a + r];
            } else if (shapeAttr != null || same) {
                out[a] = shapeAttr != null ? (int) shapeAttr[shapeAttr.length - r + a] : in[a] * s[a];
                int total = full - out[a];
                pb[a] = autoPad.equals("SAME_UPPER") ? Math.floorDiv(total, 2) : total - Math.floorDiv(total, 2);
            } else {
                out[a] = full;
            }
            if (out[a] < 0) throw ctx.error("negative output size on spatial axis " + a);
        }
        int channels = (int) x[1], cg = channels / group, mg = (int) w[1], m = mg * group;
        if (ctx.hasInput(2) && ctx.inputShape(2).elementCount() != m) throw ctx.error("B must have " + m + " elements, got " + ctx.inputShape(2));
        long[] y = new long[r + 2];
        y[0] = x[0];
        y[1] = m;
        for (int a = 0; a < r; a++) y[a + 2] = out[a];
        int kprod = 1, positions = 1, outPlane = 1;
        for (int a = 0; a < r; a++) {
            kprod *= kernel[a];
            positions *= in[a];
            outPlane *= out[a];
        }
        Plan p = new Plan((int) x[0], channels, cg, mg, m, group, mg * kprod, kprod, positions, outPlane,
                in, kernel, out, s, pb, d, ctx.threads());
        Tensor constW = ctx.constantInput(1);
        if (constW != null) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, x, w, y, group, s, pb, d, constW, null);
            var provided = KernelSelection.defaults().convTranspose(spec);
            if (provided.isPresent()) return new ProviderNode(List.of(Nn.tensor(DType.FLOAT, y)), provided.get(), ctx.threads());
        }
        // per group: col[kc, P] = W_g^T . X_g, where W_g is rows g*cg.. of W viewed as [cg, kc]
        KernelProvider.GemmKernel[] gemms = new KernelProvider.GemmKernel[group];
        for (int g = 0; g < group; g++) {
            Tensor wg = null;
            if (constW != null) {
                long bytes = 4L * cg * p.kc();
                wg = Tensor.wrap(DType.FLOAT, Shape.of(cg, p.kc()), constW.data().asSlice(g * bytes, bytes));
            } else if (g > 0) {
                gemms[g] = gemms[0]; // same shapes, weights read per run at the group's offset
                continue;
            }
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, p.kc(), positions, cg, true, false, 1f, false, wg, null, null);
            gemms[g] = KernelSelection.defaults().gemm(spec).orElseThrow(() -> ctx.unsupported("no kernel provider supports " + spec));
        }
        return new Node(List.of(Nn.tensor(DType.FLOAT, y)), p, gemms);
    }

    /** A provider's transposed convolution ({@link KernelProvider#convTranspose}). */
    private record ProviderNode(List<ValueType> outputTypes, KernelProvider.ConvKernel kernel, int threads) implements Kernel {
        @Override
        public long scratchBytes() {
            return kernel.scratchBytes();
        }

        @Override
        public void run(RunContext ctx) {
            var bias = ctx.inputCount() > 2 ? ctx.input(2) : null;
            kernel.run(ctx.input(0).data(), ctx.input(1).data(), bias == null ? MemorySegment.NULL : bias.data(),
                    ctx.output(0).data(), ctx.scratch(), Parallel.of(ctx, threads));
        }
    }

    private record Plan(int batch, int channels, int cg, int mg, int m, int group, int kc, int kprod,
                        int positions, int outPlane, int[] in, int[] kernel, int[] out, int[] s, int[] pb, int[] d,
                        int threads) {
        long colBytes() {
            return 4L * kc * positions;
        }

        /** 2-D, stride equal to the kernel, no dilation or padding and an output of exactly the tiles: no overlaps. */
        boolean tiles() {
            if (in.length != 2) return false;
            for (int a = 0; a < 2; a++) {
                if (s[a] != kernel[a] || d[a] != 1 || pb[a] != 0 || out[a] != in[a] * kernel[a]) return false;
            }
            return true;
        }
    }

    private record Node(List<ValueType> outputTypes, Plan p, KernelProvider.GemmKernel[] gemms) implements Kernel {
        @Override
        public long scratchBytes() {
            long gemmScratch = 0;
            for (var g : gemms) gemmScratch = Math.max(gemmScratch, g.scratchBytes());
            return p.colBytes() + gemmScratch;
        }

        @Override
        public void run(RunContext ctx) {
            MemorySegment x = ctx.input(0).data(), w = ctx.input(1).data(), y = ctx.output(0).data(), scratch = ctx.scratch();
            Tensor bias = ctx.inputCount() > 2 ? ctx.input(2) : null;
            MemorySegment gemmScratch = scratch.asSlice(p.colBytes());
            boolean tiles = p.tiles();
            if (!tiles) fillBias(y, bias == null ? null : bias.data());
            Parallel par = Parallel.of(ctx, p.threads());
            for (int n = 0; n < p.batch(); n++) {
                for (int g = 0; g < p.group(); g++) {
                    long xOff = 4L * ((long) n * p.channels() + (long) g * p.cg()) * p.positions();
                    long yOff = 4L * ((long) n * p.m() + (long) g * p.mg()) * p.outPlane();
                    long wOff = 4L * g * p.cg() * p.kc();
                    gemms[g].run(w, wOff, x, xOff, scratch, 0, gemmScratch, par);
                    if (tiles) {
                        writeTiles(scratch, bias == null ? null : bias.data(), g * p.mg(), y, yOff);
                    } else {
                        Col2Im.addColumns(scratch, 0, p.kc(), p.kprod(), p.in(), p.kernel(), p.out(), p.s(), p.pb(),
                                p.d(), y, yOff);
                    }
                }
            }
        }

        /**
         * The 2-D case where the kernel tiles the output ({@link Plan#tiles}): every output element
         * is one column element plus the bias, written row by row with no scatter-add and no bias
         * pass first (conv_autoencoder's 2x2 stride-2 upsampling: {@code col2im} was about two
         * thirds of the node's time).
         */
        private void writeTiles(MemorySegment col, MemorySegment bias, int firstChannel, MemorySegment y, long yOff) {
            int kh = p.kernel()[0], kw = p.kernel()[1], inH = p.in()[0], inW = p.in()[1], outW = p.out()[1];
            int positions = p.positions();
            for (int c = 0; c < p.mg(); c++) {
                float b = bias == null ? 0f : bias.getAtIndex(F, firstChannel + c);
                for (int h = 0; h < inH; h++) {
                    for (int i = 0; i < kh; i++) {
                        long row = yOff + 4L * ((long) c * p.outPlane() + (long) (h * kh + i) * outW);
                        long colRow = 4L * ((long) (c * p.kprod() + i * kw) * positions + (long) h * inW);
                        for (int j = 0; j < kw; j++) {
                            long from = colRow + 4L * j * positions;
                            for (int q = 0; q < inW; q++) {
                                y.set(F, row + 4L * (q * kw + j), col.get(F, from + 4L * q) + b);
                            }
                        }
                    }
                }
            }
        }

        private void fillBias(MemorySegment y, MemorySegment bias) {
            long plane = p.outPlane();
            for (int n = 0; n < p.batch(); n++) {
                for (int c = 0; c < p.m(); c++) {
                    float b = bias == null ? 0f : bias.getAtIndex(F, c);
                    long base = 4L * ((long) n * p.m() + c) * plane;
                    for (long q = 0; q < plane; q++) y.set(F, base + 4 * q, b);
                }
            }
        }
    }
}
