package dev.edgerun.runtime.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * WAV files (PCM 8/16/24/32-bit or IEEE float) to one model sample: float samples in [-1, 1),
 * mono mixdown, linear resampling to the model's rate, crop or zero-pad to the model's length, and
 * optionally a log-mel or MFCC front end (frames x bands, Hann window, power spectrum).
 */
public final class AudioInput {
    private AudioInput() {}

    /** Mono samples in [-1, 1) at {@code rate} Hz. */
    public record Audio(float[] samples, int rate) {}

    public static float[] read(Path file, Preprocessing p) {
        Audio a = readWav(file);
        float[] mono = resample(a.samples(), a.rate(), p.sampleRate());
        int size = p.sampleSize();
        if (size < 0) throw new DataException(file + ": the model input has an unknown length; cannot fit audio to it");
        if (p.frontEnd() == Preprocessing.FrontEnd.RAW) return fit(mono, size);
        int bands = p.frontEnd() == Preprocessing.FrontEnd.MFCC ? p.mfcc() : p.mels();
        if (size % bands != 0) {
            throw new DataException(file + ": model input of " + size + " values is not frames x " + bands + " bands");
        }
        int frames = size / bands;
        float[] fitted = fit(mono, (frames - 1) * p.hop() + p.fftSize());
        float[][] logMel = logMel(fitted, frames, p);
        return p.frontEnd() == Preprocessing.FrontEnd.MFCC ? flatten(mfcc(logMel, p.mfcc())) : flatten(logMel);
    }

    public static Audio readWav(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + e.getMessage(), e);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 12 || b.getInt(0) != 0x46464952 || b.getInt(8) != 0x45564157) {
            throw new DataException(file + ": not a RIFF/WAVE file");
        }
        int format = -1, channels = 0, rate = 0, bits = 0, pos = 12;
        while (pos + 8 <= bytes.length) {
            int id = b.getInt(pos), len = b.getInt(pos + 4);
            int body = pos + 8;
            if (len < 0 || body + (long) len > bytes.length) len = bytes.length - body; // tolerate a truncated last chunk
            if (id == 0x20746d66) { // "fmt "
                format = b.getShort(body) & 0xffff;
                channels = b.getShort(body + 2);
                rate = b.getInt(body + 4);
                bits = b.getShort(body + 14);
                if (format == 0xFFFE && len >= 26) format = b.getShort(body + 24) & 0xffff; // extensible: sub-format
            } else if (id == 0x61746164) { // "data"
                if (format < 0) throw new DataException(file + ": data chunk before the fmt chunk");
                return new Audio(decode(file, b, body, len, format, channels, bits), rate);
            }
            pos = body + len + (len & 1);
        }
        throw new DataException(file + ": no fmt/data chunk");
    }

    private static float[] decode(Path file, ByteBuffer b, int off, int len, int format, int channels, int bits) {
        if (channels <= 0) throw new DataException(file + ": " + channels + " channels");
        boolean pcm = format == 1, flt = format == 3;
        if (!(pcm && (bits == 8 || bits == 16 || bits == 24 || bits == 32)) && !(flt && bits == 32)) {
            throw new DataException(file + ": WAV format " + format + " with " + bits + " bits is not supported;"
                    + " expected PCM 8/16/24/32-bit or 32-bit float");
        }
        int width = bits / 8;
        int frames = len / (width * channels);
        float[] mono = new float[frames];
        for (int f = 0; f < frames; f++) {
            float sum = 0;
            for (int ch = 0; ch < channels; ch++) {
                int at = off + (f * channels + ch) * width;
                sum += switch (bits) {
                    case 8 -> ((b.get(at) & 0xff) - 128) / 128f;
                    case 16 -> b.getShort(at) / 32768f;
                    case 24 -> (((b.get(at + 2) << 16) | ((b.get(at + 1) & 0xff) << 8) | (b.get(at) & 0xff))) / 8388608f;
                    default -> flt ? b.getFloat(at) : b.getInt(at) / 2147483648f;
                };
            }
            mono[f] = sum / channels;
        }
        return mono;
    }

    /** Linear interpolation from {@code from} Hz to {@code to} Hz. */
    public static float[] resample(float[] x, int from, int to) {
        if (from == to || x.length == 0) return x;
        int n = (int) ((long) x.length * to / from);
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            double t = (double) i * from / to;
            int i0 = (int) t;
            int i1 = Math.min(i0 + 1, x.length - 1);
            double f = t - i0;
            y[i] = (float) (x[i0] * (1 - f) + x[i1] * f);
        }
        return y;
    }

    /** The first {@code n} samples, zero-padded at the end. */
    public static float[] fit(float[] x, int n) {
        return java.util.Arrays.copyOf(x, n);
    }

    /** (frames, mels) log of mel-band power, natural log with a 1e-6 floor. */
    public static float[][] logMel(float[] x, int frames, Preprocessing p) {
        int n = p.fftSize();
        if (Integer.bitCount(n) != 1) throw new IllegalArgumentException("FFT size must be a power of two, got " + n);
        float[][] bank = melBank(p.mels(), n, p.sampleRate());
        float[][] out = new float[frames][p.mels()];
        double[] re = new double[n], im = new double[n];
        for (int f = 0; f < frames; f++) {
            for (int i = 0; i < n; i++) {
                int at = f * p.hop() + i;
                double hann = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / n);
                re[i] = at < x.length ? x[at] * hann : 0;
                im[i] = 0;
            }
            fft(re, im);
            for (int m = 0; m < p.mels(); m++) {
                double e = 0;
                for (int k = 0; k <= n / 2; k++) e += bank[m][k] * (re[k] * re[k] + im[k] * im[k]);
                out[f][m] = (float) Math.log(e + 1e-6);
            }
        }
        return out;
    }

    /** DCT-II (orthonormal) of each frame's log-mel, first {@code count} coefficients. */
    public static float[][] mfcc(float[][] logMel, int count) {
        int m = logMel[0].length;
        float[][] out = new float[logMel.length][count];
        for (int f = 0; f < logMel.length; f++) {
            for (int k = 0; k < count; k++) {
                double s = 0;
                for (int i = 0; i < m; i++) s += logMel[f][i] * Math.cos(Math.PI * k * (i + 0.5) / m);
                out[f][k] = (float) (s * Math.sqrt((k == 0 ? 1.0 : 2.0) / m));
            }
        }
        return out;
    }

    /** Triangular HTK-mel filters over the n/2+1 FFT bins. */
    static float[][] melBank(int mels, int n, int rate) {
        double lo = mel(0), hi = mel(rate / 2.0);
        double[] centers = new double[mels + 2];
        for (int i = 0; i < centers.length; i++) centers[i] = hz(lo + (hi - lo) * i / (mels + 1)) * n / rate;
        float[][] bank = new float[mels][n / 2 + 1];
        for (int m = 0; m < mels; m++) {
            for (int k = 0; k <= n / 2; k++) {
                double up = (k - centers[m]) / Math.max(1e-9, centers[m + 1] - centers[m]);
                double down = (centers[m + 2] - k) / Math.max(1e-9, centers[m + 2] - centers[m + 1]);
                bank[m][k] = (float) Math.max(0, Math.min(up, down));
            }
        }
        return bank;
    }

    private static double mel(double hz) { return 2595 * Math.log10(1 + hz / 700); }
    private static double hz(double mel) { return 700 * (Math.pow(10, mel / 2595) - 1); }

    /** In-place radix-2 FFT. */
    static void fft(double[] re, double[] im) {
        int n = re.length;
        for (int i = 1, j = 0; i < n; i++) {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j ^= bit;
            if (i < j) {
                double t = re[i]; re[i] = re[j]; re[j] = t;
                t = im[i]; im[i] = im[j]; im[j] = t;
            }
        }
        for (int len = 2; len <= n; len <<= 1) {
            double ang = -2 * Math.PI / len;
            for (int i = 0; i < n; i += len) {
                for (int k = 0; k < len / 2; k++) {
                    double wr = Math.cos(ang * k), wi = Math.sin(ang * k);
                    int a = i + k, c = i + k + len / 2;
                    double xr = re[c] * wr - im[c] * wi, xi = re[c] * wi + im[c] * wr;
                    re[c] = re[a] - xr; im[c] = im[a] - xi;
                    re[a] += xr; im[a] += xi;
                }
            }
        }
    }

    private static float[] flatten(float[][] m) {
        float[] out = new float[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) System.arraycopy(m[i], 0, out, i * m[0].length, m[0].length);
        return out;
    }
}
