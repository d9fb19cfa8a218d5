package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/**
 * ONNX HannWindow, HammingWindow and BlackmanWindow (opset 17): a window of {@code size} values,
 * periodic (denominator size, the default) or symmetric (size - 1), of {@code output_datatype}
 * (default float).
 */
public final class Windows implements Operator {
    /** The three window shapes, as sums of cosines a0 - a1·cos(2πn/N) + a2·cos(4πn/N). */
    public enum Kind {
        HANN(0.5, 0.5, 0), HAMMING(25.0 / 46, 21.0 / 46, 0), BLACKMAN(0.42, 0.5, 0.08);

        final double a0, a1, a2;

        Kind(double a0, double a1, double a2) {
            this.a0 = a0;
            this.a1 = a1;
            this.a2 = a2;
        }
    }

    private final Kind kind;

    public Windows(Kind kind) {
        this.kind = kind;
    }

    public static Windows hann() { return new Windows(Kind.HANN); }
    public static Windows hamming() { return new Windows(Kind.HAMMING); }
    public static Windows blackman() { return new Windows(Kind.BLACKMAN); }

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = DType.fromOnnx((int) ctx.attrInt("output_datatype", DType.FLOAT.onnxCode()));
        if (!Elements.supported(dtype)) throw ctx.unsupported("output_datatype " + dtype.onnxName());
        boolean periodic = ctx.attrInt("periodic", 1) != 0;
        Tensor size = ctx.constantInput(0);
        ValueType type = size == null ? new ValueType.TensorType(dtype, null) : ValueType.tensor(dtype, Shape.of(size.getAsLong(0)));
        boolean planned = size != null;
        return Kernel.of(type, rc -> {
            long n = rc.input(0).getAsLong(0);
            Tensor y = planned ? rc.output(0) : rc.allocateOutput(0, dtype, Shape.of(n));
            double denominator = periodic ? n : n - 1;
            for (long i = 0; i < n; i++) {
                double phase = 2 * Math.PI * i / denominator;
                double v = kind.a0 - kind.a1 * Math.cos(phase) + kind.a2 * Math.cos(2 * phase);
                Elements.put(y.data(), dtype, i, v);
            }
        });
    }
}
