package dev.edgerun.runtime.kernels;

/**
 * Each thread's heap arrays for the turned-round products over few positions
 * ({@link F32PointwiseFewPositions}, {@link F32FewPositionsConv}): the packed X^T or col^T, the
 * panel buffer, one bias row, one input row and one zero-padded plane, each grown to the largest
 * request and never shrunk. One set per thread serves both kernels, since a thread runs one
 * kernel's range at a time; heap arrays rather than segments because their tiles index them
 * linearly in the loop, so C2 hoists the range checks (see {@link F32ImplicitConv#packWeights}).
 */
final class FewPositionsBuffers {
    private static final ThreadLocal<FewPositionsBuffers> THREAD = ThreadLocal.withInitial(FewPositionsBuffers::new);

    private float[] xt = new float[0], out = new float[0], bias = new float[0], row = new float[0], plane = new float[0];

    private FewPositionsBuffers() { }

    /** The calling thread's buffers. */
    static FewPositionsBuffers get() {
        return THREAD.get();
    }

    /** Packed X^T (or col^T) of at least {@code n} floats. */
    float[] xt(int n) {
        if (xt.length < n) xt = new float[n];
        return xt;
    }

    /** The panel buffer, at least {@code n} floats. */
    float[] out(int n) {
        if (out.length < n) out = new float[n];
        return out;
    }

    /** One panel's bias row, at least {@code n} floats. */
    float[] bias(int n) {
        if (bias.length < n) bias = new float[n];
        return bias;
    }

    /** One input row, at least {@code n} floats. */
    float[] row(int n) {
        if (row.length < n) row = new float[n];
        return row;
    }

    /** One zero-padded input plane, at least {@code n} floats. */
    float[] plane(int n) {
        if (plane.length < n) plane = new float[n];
        return plane;
    }
}
