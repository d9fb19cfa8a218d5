package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.ops.InternalLayoutKernel;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * Conv (1-D, 2-D, 3-D; grouped, depthwise, dilated, strided, explicit or automatic padding, bias).
 * The geometry is resolved here; the arithmetic is the kernel provider's
 * ({@link KernelProvider#conv}), which packs constant weights once.
 */
public final class Conv implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        Nn.requireFloat(ctx, 1);
        long[] x = ctx.inputShape(0).dims(), w = ctx.inputShape(1).dims();
        if (x.length < 3 || w.length != x.length) {
            throw ctx.error("X must be [N, C, spatial...] and W [M, C/group, kernel...] of the same rank, got X"
                    + ctx.inputShape(0) + " W" + ctx.inputShape(1));
        }
        int group = (int) ctx.attrInt("group", 1);
        if (group <= 0 || x[1] % group != 0 || w[0] % group != 0 || w[1] * group != x[1]) {
            throw ctx.error("channels do not match group " + group + ": X" + ctx.inputShape(0) + " W" + ctx.inputShape(1));
        }
        int[] kernel = Spatial.spatialDims(w);
        long[] kernelAttr = ctx.attrInts("kernel_shape", null);
        if (kernelAttr != null && !Arrays.equals(kernelAttr, Arrays.copyOfRange(w, 2, w.length))) {
            throw ctx.error("kernel_shape " + Arrays.toString(kernelAttr) + " does not match W" + ctx.inputShape(1));
        }
        if (ctx.hasInput(2)) {
            Nn.requireFloat(ctx, 2);
            if (ctx.inputShape(2).elementCount() != w[0]) throw ctx.error("B must have " + w[0] + " elements, got " + ctx.inputShape(2));
        }
        Spatial sp = Spatial.resolve(ctx, Spatial.spatialDims(x), kernel, false);
        long[] y = sp.outputDims(x[0], w[0]);
        ValueType outType = Nn.tensor(DType.FLOAT, y);
        if (Nn.product(y, 0, y.length) == 0) return Kernel.of(outType, c -> { });
        var spec = new KernelProvider.ConvSpec(DType.FLOAT, x, w, y, group, sp.strides(), sp.padsBegin(),
                sp.dilations(), ctx.constantInput(1), FusedActivation.epilogue(ctx));
        KernelProvider.ConvKernel conv = KernelSelection.defaults().conv(spec)
                .orElseThrow(() -> ctx.unsupported("no kernel provider supports " + spec));
        return new ConvNode(List.of(outType), conv, ctx.threads());
    }

    private record ConvNode(List<ValueType> outputTypes, KernelProvider.ConvKernel conv, int threads)
            implements InternalLayoutKernel {
        @Override
        public long scratchBytes() {
            return conv.scratchBytes();
        }

        @Override
        public KernelProvider.ConvKernel.Layout internalInputLayout() {
            return conv.internalInputLayout();
        }

        @Override
        public KernelProvider.ConvKernel.Layout internalOutputLayout() {
            return conv.internalOutputLayout();
        }

        @Override
        public Kernel withInternalLayouts(boolean input, boolean output) {
            KernelProvider.ConvKernel k = conv.withInternalLayouts(input, output);
            return k == null ? null : new ConvNode(outputTypes, k, threads);
        }

        @Override
        public void run(RunContext ctx) {
            var bias = ctx.inputCount() > 2 ? ctx.input(2) : null;
            conv.run(ctx.input(0).data(), ctx.input(1).data(), bias == null ? MemorySegment.NULL : bias.data(),
                    ctx.output(0).data(), ctx.scratch(), Parallel.of(ctx, threads));
        }
    }
}
