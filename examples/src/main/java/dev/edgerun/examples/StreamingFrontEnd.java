package dev.edgerun.examples;

/**
 * Log-mel or MFCC frames computed one at a time as samples arrive, with every buffer allocated up
 * front so a stream costs no garbage. The arithmetic is that of
 * {@link dev.edgerun.runtime.data.AudioInput#logMel} and {@link dev.edgerun.runtime.data.AudioInput#mfcc}
 * (periodic Hann window, power spectrum, HTK mel filters, natural log with a 1e-6 floor,
 * orthonormal DCT-II), so a model fine-tuned on files sees the same features when it streams.
 * Frame {@code f} covers samples {@code [f * hop, f * hop + fftSize)}.
 */
final class StreamingFrontEnd {
    private final int fftSize;
    private final int hop;
    private final int mels;
    private final int bands;          // mels (log-mel) or MFCC coefficients
    private final boolean mfcc;

    private final float[] ring;       // (fftSize) last samples, oldest at ringPos
    private int ringPos;
    private long samplesSeen;
    private int sinceFrame;

    private final double[] hann;      // (fftSize)
    private final double[] re, im;    // (fftSize) FFT work
    private final int[] bitReverse;   // (fftSize)
    private final double[] cos, sin;  // (fftSize / 2) twiddles
    private final float[] bank;       // (mels, fftSize / 2 + 1) triangular filters
    private final float[] dct;        // (bands, mels) orthonormal DCT-II rows
    private final float[] logMel;     // (mels)
    private final float[] frame;      // (bands) the latest frame

    StreamingFrontEnd(int sampleRate, int fftSize, int hop, int mels, int bands, boolean mfcc) {
        if (Integer.bitCount(fftSize) != 1) throw new IllegalArgumentException("FFT size must be a power of two, got " + fftSize);
        if (hop <= 0 || hop > fftSize) throw new IllegalArgumentException("frame hop must be in 1.." + fftSize + ", got " + hop);
        if (!mfcc && bands != mels) throw new IllegalArgumentException("log-mel frames have as many bands as mels");
        if (mfcc && bands > mels) throw new IllegalArgumentException(bands + " MFCCs need at least as many mels, got " + mels);
        this.fftSize = fftSize;
        this.hop = hop;
        this.mels = mels;
        this.bands = bands;
        this.mfcc = mfcc;
        this.ring = new float[fftSize];
        this.hann = new double[fftSize];
        for (int i = 0; i < fftSize; i++) hann[i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / fftSize);
        this.re = new double[fftSize];
        this.im = new double[fftSize];
        this.bitReverse = bitReversal(fftSize);
        this.cos = new double[fftSize / 2];
        this.sin = new double[fftSize / 2];
        for (int i = 0; i < fftSize / 2; i++) {
            cos[i] = Math.cos(-2 * Math.PI * i / fftSize);
            sin[i] = Math.sin(-2 * Math.PI * i / fftSize);
        }
        this.bank = melBank(mels, fftSize, sampleRate);
        this.dct = dctRows(bands, mels);
        this.logMel = new float[mels];
        this.frame = new float[bands];
    }

    int bands() { return bands; }
    int hop() { return hop; }
    int fftSize() { return fftSize; }

    /** Adds one sample; true when it completed a frame, which {@link #frame()} then holds. */
    boolean push(float sample) {
        ring[ringPos] = sample;
        ringPos = ringPos + 1 == fftSize ? 0 : ringPos + 1;
        samplesSeen++;
        if (samplesSeen < fftSize) return false;
        if (samplesSeen > fftSize && ++sinceFrame < hop) return false;
        sinceFrame = 0;
        computeFrame();
        return true;
    }

    /** The latest frame (bands values); overwritten by the next one. */
    float[] frame() {
        return frame;
    }

    long samplesSeen() {
        return samplesSeen;
    }

    private void computeFrame() {
        for (int i = 0; i < fftSize; i++) {
            int at = ringPos + i < fftSize ? ringPos + i : ringPos + i - fftSize;
            re[bitReverse[i]] = ring[at] * hann[i];
            im[bitReverse[i]] = 0;
        }
        fft();
        int bins = fftSize / 2 + 1;
        for (int m = 0; m < mels; m++) {
            double e = 0;
            for (int k = 0; k < bins; k++) e += bank[m * bins + k] * (re[k] * re[k] + im[k] * im[k]);
            logMel[m] = (float) Math.log(e + 1e-6);
        }
        if (!mfcc) {
            System.arraycopy(logMel, 0, frame, 0, mels);
            return;
        }
        for (int k = 0; k < bands; k++) {
            double s = 0;
            for (int i = 0; i < mels; i++) s += logMel[i] * dct[k * mels + i];
            frame[k] = (float) s;
        }
    }

    /** Iterative radix-2 FFT over re/im already in bit-reversed order. */
    private void fft() {
        for (int len = 2; len <= fftSize; len <<= 1) {
            int half = len >> 1, step = fftSize / len;
            for (int start = 0; start < fftSize; start += len) {
                for (int j = 0; j < half; j++) {
                    double wr = cos[j * step], wi = sin[j * step];
                    int a = start + j, b = a + half;
                    double tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
        }
    }

    private static int[] bitReversal(int n) {
        int bits = Integer.numberOfTrailingZeros(n);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = Integer.reverse(i) >>> (32 - bits);
        return r;
    }

    /** Triangular HTK-mel filters over the n/2+1 FFT bins, as AudioInput builds them. */
    private static float[] melBank(int mels, int n, int rate) {
        double lo = mel(0), hi = mel(rate / 2.0);
        double[] centers = new double[mels + 2];
        for (int i = 0; i < centers.length; i++) centers[i] = hz(lo + (hi - lo) * i / (mels + 1)) * n / rate;
        int bins = n / 2 + 1;
        float[] bank = new float[mels * bins];
        for (int m = 0; m < mels; m++) {
            for (int k = 0; k < bins; k++) {
                double up = (k - centers[m]) / Math.max(1e-9, centers[m + 1] - centers[m]);
                double down = (centers[m + 2] - k) / Math.max(1e-9, centers[m + 2] - centers[m + 1]);
                bank[m * bins + k] = (float) Math.max(0, Math.min(up, down));
            }
        }
        return bank;
    }

    private static float[] dctRows(int count, int m) {
        float[] rows = new float[count * m];
        for (int k = 0; k < count; k++) {
            double norm = Math.sqrt((k == 0 ? 1.0 : 2.0) / m);
            for (int i = 0; i < m; i++) rows[k * m + i] = (float) (Math.cos(Math.PI * k * (i + 0.5) / m) * norm);
        }
        return rows;
    }

    private static double mel(double hz) { return 2595 * Math.log10(1 + hz / 700); }
    private static double hz(double mel) { return 700 * (Math.pow(10, mel / 2595) - 1); }
}
