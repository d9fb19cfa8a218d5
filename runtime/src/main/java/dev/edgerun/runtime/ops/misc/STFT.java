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
 * ONNX STFT (opset 17): DFTs of windowed frames of a real or complex signal [batch, length, 1|2].
 * Inputs: signal, frame_step, window (optional, [frame_length]), frame_length (optional).
 * Output [batch, frames, bins, 2] with frames = 1 + (length - frame_length) / frame_step and bins
 * = frame_length/2+1 when {@code onesided} (default 1), else frame_length. When frame_step or
 * frame_length are not constants, the output shape is settled at run time.
 */
public final class STFT implements Operator {

    private record Spec(long batch, long length, int components, long hop, int frameLength, long frames, int bins) {
        Shape out() {
            return Shape.of(batch, frames, bins, 2);
        }
    }

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape x = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        if (dtype != DType.FLOAT && dtype != DType.DOUBLE && dtype != DType.FLOAT16) throw ctx.unsupported("dtype " + dtype.onnxName());
        if (x.rank() != 3) throw ctx.error("signal must have shape [batch, length, 1 or 2], got " + x);
        boolean hasWindow = ctx.hasInput(2);
        Shape window = hasWindow ? ctx.inputShape(2) : null;
        String label = ctx.node().label() + " (STFT)";
        boolean hasLength = ctx.hasInput(3);
        boolean onesided = ctx.attrInt("onesided", 1) != 0;
        Tensor step = ctx.constantInput(1);
        Tensor length = hasLength ? ctx.constantInput(3) : null;
        if (step != null && (!hasLength || length != null)) {
            Spec s = plan(label, x, window, step.getAsLong(0), hasLength ? length.getAsLong(0) : -1, hasWindow, onesided);
            return Kernel.of(ValueType.tensor(dtype, s.out()), rc -> run(rc, s, dtype, hasWindow, rc.output(0)));
        }
        return Kernel.of(new ValueType.TensorType(dtype, null), rc -> {
            Spec s = plan(label, x, window, rc.input(1).getAsLong(0), hasLength ? rc.input(3).getAsLong(0) : -1, hasWindow, onesided);
            run(rc, s, dtype, hasWindow, rc.allocateOutput(0, dtype, s.out()));
        });
    }

    private static Spec plan(String label, Shape x, Shape window, long hop, long frameLength, boolean hasWindow, boolean onesided) {
        if (frameLength < 0) frameLength = hasWindow ? window.dim(0) : x.dim(1);
        if (hasWindow && window.dim(0) != frameLength) {
            throw new ModelFormatException(label + ": window has " + window.dim(0) + " values, frame_length is " + frameLength);
        }
        if (hop <= 0) throw new ModelFormatException(label + ": frame_step must be positive, got " + hop);
        if (frameLength < 1 || frameLength > x.dim(1)) {
            throw new ModelFormatException(label + ": frame_length " + frameLength + " must be in [1, " + x.dim(1) + "]");
        }
        long frames = 1 + (x.dim(1) - frameLength) / hop;
        int bins = (int) (onesided ? frameLength / 2 + 1 : frameLength);
        return new Spec(x.dim(0), x.dim(1), (int) x.dim(2), hop, (int) frameLength, frames, bins);
    }

    private static void run(RunContext rc, Spec s, DType dtype, boolean hasWindow, Tensor output) {
        MemorySegment signal = rc.input(0).data();
        Tensor window = hasWindow ? rc.input(2) : null;
        MemorySegment y = output.data();
        int n = s.frameLength;
        double[] re = new double[n], im = new double[n], outRe = new double[n], outIm = new double[n];
        long at = 0;
        for (long b = 0; b < s.batch; b++) {
            for (long f = 0; f < s.frames; f++) {
                for (int j = 0; j < n; j++) {
                    long t = f * s.hop + j;
                    double w = window == null ? 1 : window.getAsDouble(j);
                    long idx = (b * s.length + t) * s.components;
                    re[j] = w * Elements.get(signal, dtype, idx);
                    im[j] = s.components == 2 ? w * Elements.get(signal, dtype, idx + 1) : 0;
                }
                FftDft.transform(re, im, n, n, false, outRe, outIm, s.bins);
                for (int k = 0; k < s.bins; k++) {
                    Elements.put(y, dtype, at++, outRe[k]);
                    Elements.put(y, dtype, at++, outIm[k]);
                }
            }
        }
    }
}
