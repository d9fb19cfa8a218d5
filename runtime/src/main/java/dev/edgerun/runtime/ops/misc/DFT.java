package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.FftDft;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;

/**
 * ONNX DFT (opsets 17, 20): the discrete Fourier transform along one axis of a real ([..., 1])
 * or complex ([..., 2]) signal, zero-padded or truncated to {@code dft_length}. {@code onesided}
 * keeps the first n/2+1 bins; with {@code inverse} it is the inverse of a one-sided transform
 * (real output of length dft_length, or 2·(bins-1)). Opset 17 takes the axis as an attribute
 * (default 1), opset 20 as the third input (default -2).
 */
public final class DFT implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape x = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        if (dtype != DType.FLOAT && dtype != DType.DOUBLE && dtype != DType.FLOAT16) throw ctx.unsupported("dtype " + dtype.onnxName());
        int rank = x.rank();
        long components = x.dim(rank - 1);
        if (components != 1 && components != 2) throw ctx.error("last dimension must be 1 (real) or 2 (complex), got " + x);
        String label = ctx.node().label() + " (DFT)";
        boolean inverse = ctx.attrInt("inverse", 0) != 0;
        boolean onesided = ctx.attrInt("onesided", 0) != 0;
        boolean axisInput = ctx.opset() >= 20 && ctx.hasInput(2);
        boolean lengthInput = ctx.hasInput(1);
        Tensor axisConst = axisInput ? ctx.constantInput(2) : null;
        Tensor lengthConst = lengthInput ? ctx.constantInput(1) : null;
        long axisDefault = ctx.opset() >= 20 ? -2 : ctx.attrInt("axis", 1);
        if ((!axisInput || axisConst != null) && (!lengthInput || lengthConst != null)) {
            long axis = axisConst != null ? axisConst.getAsLong(0) : axisDefault;
            Spec s = plan(label, x, dtype, axis, lengthConst == null ? -1 : lengthConst.getAsLong(0), inverse, onesided);
            return Kernel.of(ValueType.tensor(dtype, s.out), rc -> run(rc, s, rc.output(0)));
        }
        // the axis or the length is known only at run time: so is the output shape
        return Kernel.of(new ValueType.TensorType(dtype, null), rc -> {
            long axis = axisInput ? rc.input(2).getAsLong(0) : axisDefault;
            long length = lengthInput ? rc.input(1).getAsLong(0) : -1;
            Spec s = plan(label, x, dtype, axis, length, inverse, onesided);
            run(rc, s, rc.allocateOutput(0, dtype, s.out));
        });
    }

    /** The transform of {@code x} along {@code axisValue}; {@code length} < 0 means the default. */
    private static Spec plan(String label, Shape x, DType dtype, long axisValue, long length, boolean inverse, boolean onesided) {
        int rank = x.rank();
        int axis = (int) (axisValue < 0 ? axisValue + rank : axisValue);
        if (axis < 0 || axis >= rank - 1) throw new ModelFormatException(label + ": axis " + axisValue + " out of range for " + x);
        if (length < 0) length = inverse && onesided ? 2 * (x.dim(axis) - 1) : x.dim(axis);
        if (length < 1) throw new ModelFormatException(label + ": dft_length must be positive, got " + length);
        long outAxis = onesided && !inverse ? length / 2 + 1 : length;
        long[] dims = x.dims();
        dims[axis] = outAxis;
        dims[rank - 1] = inverse && onesided ? 1 : 2;
        return new Spec(dtype, x.product(0, axis), (int) x.dim(axis), x.product(axis + 1, rank - 1), (int) x.dim(rank - 1),
                (int) length, (int) outAxis, inverse, onesided, Shape.of(dims));
    }

    private record Spec(DType dtype, long outer, int inAxis, long inner, int components, int n, int outAxis,
                        boolean inverse, boolean onesided, Shape out) {}

    private static void run(RunContext rc, Spec s, Tensor output) {
        MemorySegment x = rc.input(0).data();
        MemorySegment y = output.data();
        double[] re = new double[Math.max(s.n, s.inAxis)];
        double[] im = new double[re.length];
        double[] outRe = new double[s.n];
        double[] outIm = new double[s.n];
        boolean irfft = s.inverse && s.onesided;
        int outComponents = irfft ? 1 : 2;
        for (long o = 0; o < s.outer; o++) {
            for (long i = 0; i < s.inner; i++) {
                int count = Math.min(s.inAxis, s.n);
                for (int j = 0; j < count; j++) {
                    long at = ((o * s.inAxis + j) * s.inner + i) * s.components;
                    re[j] = Elements.get(x, s.dtype, at);
                    im[j] = s.components == 2 ? Elements.get(x, s.dtype, at + 1) : 0;
                }
                if (irfft) count = hermitian(re, im, count, s.n);
                FftDft.transform(re, im, count, s.n, s.inverse, outRe, outIm, s.outAxis);
                for (int k = 0; k < s.outAxis; k++) {
                    long at = ((o * s.outAxis + k) * s.inner + i) * outComponents;
                    Elements.put(y, s.dtype, at, outRe[k]);
                    if (!irfft) Elements.put(y, s.dtype, at + 1, outIm[k]);
                }
            }
        }
    }

    /** Completes the first {@code count} bins of a one-sided spectrum to all n (conjugate symmetry); returns n. */
    private static int hermitian(double[] re, double[] im, int count, int n) {
        int half = n / 2 + 1;
        for (int k = count; k < half; k++) {
            re[k] = 0;
            im[k] = 0;
        }
        for (int k = half; k < n; k++) {
            re[k] = re[n - k];
            im[k] = -im[n - k];
        }
        return n;
    }
}
