package dev.edgerun.keras.layers;

/** Rearranging Keras weight arrays into ONNX's layouts, once, at import. */
final class WeightOps {
    private WeightOps() {}

    /** Transposes a row-major array of {@code shape} by {@code perm} (output dim i = input dim perm[i]). */
    static float[] permute(float[] data, long[] shape, int... perm) {
        int r = shape.length;
        long[] outShape = permutedShape(shape, perm);
        long[] inStrides = strides(shape);
        long[] srcStride = new long[r];
        for (int i = 0; i < r; i++) srcStride[i] = inStrides[perm[i]];
        float[] out = new float[data.length];
        int[] idx = new int[r];
        long src = 0;
        for (int o = 0; o < out.length; o++) {
            out[o] = data[(int) src];
            for (int d = r - 1; d >= 0; d--) {
                idx[d]++;
                src += srcStride[d];
                if (idx[d] < outShape[d]) break;
                src -= srcStride[d] * idx[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    static long[] permutedShape(long[] shape, int... perm) {
        long[] s = new long[perm.length];
        for (int i = 0; i < perm.length; i++) s[i] = shape[perm[i]];
        return s;
    }

    static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /**
     * Reorders gate blocks along the first axis of a {@code (gates * units, rest)} array:
     * output block j is input block {@code order[j]}.
     */
    static float[] reorderBlocks(float[] data, int gates, int[] order) {
        int block = data.length / gates;
        float[] out = new float[data.length];
        for (int j = 0; j < order.length; j++) System.arraycopy(data, order[j] * block, out, j * block, block);
        return out;
    }

    /** Keras kernel (h, w, ..., in, out) → ONNX Conv weight (out, in, h, w, ...). */
    static int[] kernelToOihw(int rank) {
        int[] p = new int[rank];
        p[0] = rank - 1;
        p[1] = rank - 2;
        for (int i = 2; i < rank; i++) p[i] = i - 2;
        return p;
    }

    static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] r = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, r, o, p.length);
            o += p.length;
        }
        return r;
    }

    static float[] filled(int n, float v) {
        float[] r = new float[n];
        java.util.Arrays.fill(r, v);
        return r;
    }
}
