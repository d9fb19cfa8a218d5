package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Q8Quantize;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * ONNX DynamicQuantizeLinear (opset 11): uint8 quantization with a scale and zero point computed
 * from the input's range, which always includes 0: {@code scale = (max - min) / 255},
 * {@code zp = rint(clamp(-min / scale, 0, 255))}.
 */
public final class DynamicQuantizeLinear implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (ctx.inputDType(0) != DType.FLOAT) throw ctx.error("input x must be float, got " + ctx.inputDType(0).onnxName());
        Shape shape = ctx.inputShape(0);
        long count = shape.elementCount();
        List<ValueType> types = List.of(ValueType.tensor(DType.UINT8, shape),
                ValueType.tensor(DType.FLOAT, Shape.SCALAR), ValueType.tensor(DType.UINT8, Shape.SCALAR));
        return Kernel.of(types, rc -> {
            MemorySegment x = rc.input(0).data();
            float min = 0f;
            float max = 0f;
            for (long i = 0; i < count; i++) {
                float v = x.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            float scale = (max - min) / 255f;
            int zero = scale == 0f ? 0 : (int) Math.rint(Math.max(0f, Math.min(255f, 0f - min / scale)));
            if (scale == 0f) {
                rc.output(0).data().fill((byte) 0);
            } else {
                Q8Quantize.quantize(x, rc.output(0).data(), count, scale, zero, false);
            }
            rc.output(1).setFloat(0, scale);
            rc.output(2).data().set(ValueLayout.JAVA_BYTE, 0, (byte) zero);
        });
    }
}
