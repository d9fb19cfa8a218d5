package dev.edgerun.runtime.ops.quant;

/**
 * How a float ↔ 8-bit QuantizeLinear/DequantizeLinear is cut into runs of consecutive elements
 * that share one scale and zero point, for the vector loops of
 * {@link dev.edgerun.runtime.kernels.Q8Quantize}: per axis, run {@code r} is {@code inner}
 * elements long and uses parameter {@code r % axisDim}; per tensor, the elements are cut into
 * equal chunks (64-byte multiples) of at least {@link #CHUNK} (for threads; not a full chunk and a
 * sliver: MobileNetV2's 3x224x224 input was 65536 + 65536 + 19456), all using parameter 0.
 * Blocked quantization has no runs.
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
        if (perTensor) return perTensor(elements);
        boolean perAxis = axis.outerStride == 0 && axis.axisStride == 1 && axis.innerStride == 0 && axis.block == 1;
        if (!perAxis || elements / axis.inner > Integer.MAX_VALUE) return null;
        return new Q8Runs((int) (elements / axis.inner), axis.inner, axis.axisDim, elements);
    }

    /** The runs of {@code elements} elements sharing one scale: one per whole {@link #CHUNK}, all of one length (a 64-byte multiple) but the last. */
    static Q8Runs perTensor(long elements) {
        long chunks = Math.max(1, elements / CHUNK);
        long length = Math.max(1, (elements + chunks - 1) / chunks + 63 & ~63L);
        return new Q8Runs((int) ((elements + length - 1) / length), length, 1, elements);
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
