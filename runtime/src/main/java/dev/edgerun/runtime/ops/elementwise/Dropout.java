package dev.edgerun.runtime.ops.elementwise;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Dropout. In inference (the default; before opset 12 always) the output is the input and the
 * optional mask is all true. With training_mode true (opset 12+) and a ratio above 0 it keeps an
 * element when a uniform draw is at least the ratio and scales kept elements by 1 / (1 - ratio).
 * With the seed attribute the draws are numpy's legacy MT19937 seeded with it, as in the ONNX
 * reference implementation, so the result is reproducible; without, a fresh seed per run.
 */
public final class Dropout implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType type = ctx.inputDType(0);
        if (!Elements.isFloat(type)) throw ctx.unsupported("input type " + type.onnxName());
        Shape shape = ctx.inputShape(0);
        boolean mayTrain = ctx.opset() >= 12 && ctx.hasInput(2);
        if (mayTrain && ctx.constantInput(2) != null && ctx.constantInput(2).getAsLong(0) == 0) mayTrain = false;
        List<ValueType> types = new ArrayList<>();
        types.add(ValueType.tensor(type, shape));
        // Before opset 10 the mask had the input's type; from 10 it is bool.
        if (ctx.outputCount() > 1) types.add(ValueType.tensor(ctx.opset() < 10 ? type : DType.BOOL, shape));
        float attrRatio = ctx.attrFloat("ratio", 0.5f);
        long seed = ctx.attrInt("seed", 0);
        boolean hasSeed = ctx.hasAttr("seed");
        return new DropoutKernel(types, type, mayTrain, attrRatio, hasSeed, seed);
    }

    private record DropoutKernel(List<ValueType> outputTypes, DType type, boolean mayTrain, float attrRatio,
                                 boolean hasSeed, long seed) implements Kernel {

        /** In inference without a mask output the output is the input: the executor may alias them. */
        @Override
        public int outputAliasesInput() {
            return !mayTrain && outputTypes.size() == 1 ? 0 : -1;
        }

        @Override
        public boolean nondeterministic() {
            return mayTrain && !hasSeed;
        }

        @Override
        public void run(RunContext ctx) {
            Tensor in = ctx.input(0);
            MemorySegment out = ctx.output(0).data();
            MemorySegment mask = outputTypes.size() > 1 ? ctx.output(1).data() : null;
            double ratio = mayTrain && ctx.input(1) != null ? Elements.readDouble(ctx.input(1).data(), ctx.input(1).dtype(), 0) : attrRatio;
            boolean training = mayTrain && ctx.input(2).getAsLong(0) != 0;
            if (!training || ratio == 0) {
                if (in.data().address() != out.address()) out.copyFrom(in.data());
                if (mask != null) fillMask(mask);
                return;
            }
            drop(in.data(), out, mask, ratio);
        }

        private void fillMask(MemorySegment mask) {
            if (outputTypes.get(1) instanceof ValueType.TensorType t && t.dtype() == DType.BOOL) {
                mask.fill((byte) 1);
            } else {
                for (long i = 0; i < mask.byteSize() / type.byteSize(); i++) Elements.writeDouble(mask, type, i, 1);
            }
        }

        private void drop(MemorySegment in, MemorySegment out, MemorySegment mask, double ratio) {
            Mt19937 random = new Mt19937(hasSeed ? seed : System.nanoTime());
            double scale = 1 / (1 - ratio);
            long n = in.byteSize() / type.byteSize();
            for (long i = 0; i < n; i++) {
                boolean keep = random.nextDouble() >= ratio;
                Elements.writeDouble(out, type, i, keep ? Elements.readDouble(in, type, i) * scale : 0);
                if (mask != null) mask.set(ValueLayout.JAVA_BYTE, i, (byte) (keep ? 1 : 0));
            }
        }
    }
}
