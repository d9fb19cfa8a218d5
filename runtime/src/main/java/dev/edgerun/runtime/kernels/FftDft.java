package dev.edgerun.runtime.kernels;

/**
 * Discrete Fourier transform of one complex line, directly from the definition (O(n²), exact
 * twiddles from {@code (k·j) mod n}): enough for the window sizes of the DFT and STFT operators.
 */
public final class FftDft {
    private FftDft() {}

    /**
     * {@code out[k] = sum_j in[j] · exp(∓2πi·k·j/n)} for {@code k < outCount}; the sign is + for the
     * inverse, which is also divided by n. Input entries past {@code inCount} are zeros.
     */
    public static void transform(double[] inRe, double[] inIm, int inCount, int n, boolean inverse,
                                 double[] outRe, double[] outIm, int outCount) {
        double sign = inverse ? 1 : -1;
        int m = Math.min(inCount, n);
        for (int k = 0; k < outCount; k++) {
            double re = 0;
            double im = 0;
            for (int j = 0; j < m; j++) {
                double angle = sign * 2 * Math.PI * (((long) k * j) % n) / n;
                double c = Math.cos(angle);
                double s = Math.sin(angle);
                re += inRe[j] * c - inIm[j] * s;
                im += inRe[j] * s + inIm[j] * c;
            }
            outRe[k] = inverse ? re / n : re;
            outIm[k] = inverse ? im / n : im;
        }
    }
}
