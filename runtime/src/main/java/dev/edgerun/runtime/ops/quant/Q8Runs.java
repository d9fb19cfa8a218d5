package dev.edgerun.runtime.ops.quant;

/**
 * How a float ↔ 8-bit QuantizeLinear/DequantizeLinear is cut into runs of consecutive elements
 * that share one scale and zero point, for the vector loops of
 * {@link dev.edgerun.runtime.kernels.Q8Quantize}: per axis, run {@code r} is {@code inner}
 * elements long and uses parameter {@code r % axisDim}; per tensor, the elements are cut into
 * chunks of {@link #CHUNK} (for threads), all using parameter 0. Blocked quantization has no runs.
 *
 * @param count   number of runs
 * @param length  elements per run (the last per-tensor chunk may be shorter)
 * @param axisDim number of scales
 */
record Q8Runs(int count, long length, long axisDim, long elements) {
    static final long CHUNK = 1 << 16;

    /** The runs of {@code elements} elements quantized along {@code axis}; null when blocked. */
    static Q8Runs of(QuantAxis axis, long elements) {
        boolean perTensor = axis.outerStride == 0 && axis.axisStride == 0;
        if (perTensor) {
            long length = Math.max(1, Math.min(elements, CHUNK));
            return new Q8Runs((int) ((elements + length - 1) / length), length, 1, elements);
        }
        boolean perAxis = axis.outerStride == 0 && axis.axisStride == 1 && axis.innerStride == 0 && axis.block == 1;
        if (!perAxis || elements / axis.inner > Integer.MAX_VALUE) return null;
        return new Q8Runs((int) (elements / axis.inner), axis.inner, axis.axisDim, elements);
    }

    long offset(int run) {
        return run * length;
    }

    long length(int run) {
        return Math.min(length, elements - run * length);
    }

    int param(int run) {
        return (int) (run % axisDim);
    }

    /** Whether splitting over threads pays: more than one run and enough elements. */
    boolean parallel(int threads) {
        return threads > 1 && count > 1 && elements >= CHUNK;
    }
}
