package dev.edgerun.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;

/**
 * Symmetric quantization of a float weight: {@code q = clamp(rint(w / scale))}, one scale per
 * slice along {@code axis} (per channel) or one for the whole tensor ({@code axis < 0}). Zero points
 * are 0 for int8 and 128 for uint8, so both represent the same symmetric grid.
 */
final class WeightQuant {
    private WeightQuant() {}

    /**
     * @param q         the quantized weight, same shape
     * @param scales    the scales, one per channel (or one)
     * @param zeroPoint the zero point for each scale
     */
    record Result(Tensor q, float[] scales, int zeroPoint, DType type, int axis) {
        /** The scales as a tensor: [C] per channel, a scalar per tensor. */
        Tensor scaleTensor() {
            return axis < 0 ? Tensor.of(new float[] {scales[0]}) : Tensor.of(scales.clone(), scales.length);
        }

        /** Zero points shaped like {@link #scaleTensor()}. */
        Tensor zeroPointTensor() {
            byte[] z = new byte[scales.length];
            java.util.Arrays.fill(z, (byte) zeroPoint);
            return axis < 0 ? Tensor.of(type, new byte[] {(byte) zeroPoint}) : Tensor.of(type, z, scales.length);
        }

        /** A scalar zero point (valid when every channel shares it, as symmetric quantization does). */
        Tensor scalarZeroPoint() {
            return Tensor.of(type, new byte[] {(byte) zeroPoint});
        }
    }

    static Result quantize(Tensor w, int axis, DType type, boolean reduceRange) {
        float[] v = w.toFloatArrayConverted();
        Shape s = w.shape();
        int channels = axis < 0 ? 1 : (int) s.dim(axis);
        long inner = axis < 0 ? v.length : s.product(axis + 1, s.rank());
        int qmax = reduceRange ? 63 : 127;
        int zero = type == DType.UINT8 ? 128 : 0;
        float[] absMax = new float[channels];
        for (int i = 0; i < v.length; i++) {
            int c = (int) ((i / inner) % channels);
            absMax[c] = Math.max(absMax[c], Math.abs(v[i]));
        }
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) scales[c] = absMax[c] > 0 ? absMax[c] / qmax : 1f;
        byte[] q = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            int c = (int) ((i / inner) % channels);
            long r = Math.round(Math.rint(v[i] / scales[c]));
            q[i] = (byte) (Math.max(-qmax, Math.min(qmax, r)) + zero);
        }
        return new Result(Tensor.of(type, q, s.dims()), scales, zero, type, axis);
    }

    /** The dequantized weight, for error measurements. */
    static float[] dequantize(Result r) {
        byte[] q = r.q().toByteArray();
        Shape s = r.q().shape();
        int channels = r.scales().length;
        long inner = r.axis() < 0 ? q.length : s.product(r.axis() + 1, s.rank());
        boolean unsigned = r.type() == DType.UINT8;
        float[] out = new float[q.length];
        for (int i = 0; i < q.length; i++) {
            int c = (int) ((i / inner) % channels);
            int qi = unsigned ? Byte.toUnsignedInt(q[i]) : q[i];
            out[i] = (qi - r.zeroPoint()) * r.scales()[c];
        }
        return out;
    }
}
