package dev.edgerun.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Range selection from histograms, and activation scale/zero point. */
class CalibratorTest {

    private static long[] gaussianWithOutliers(float[] absMaxOut) {
        Random r = new Random(11);
        float[] v = new float[200_000];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        for (int i = 0; i < 20; i++) v[i] = 40f + i; // a few far outliers
        float absMax = 0;
        for (float x : v) absMax = Math.max(absMax, Math.abs(x));
        absMaxOut[0] = absMax;
        long[] hist = new long[Calibrator.BINS];
        Calibrator.addToHistogram(hist, absMax, v);
        return hist;
    }

    @Test
    void percentileAndEntropyClipOutliersThatMinMaxKeeps() {
        float[] absMax = new float[1];
        long[] hist = gaussianWithOutliers(absMax);
        float width = absMax[0] / Calibrator.BINS;
        float p = width * Calibrator.percentileBin(hist, 99.99);
        float kl = width * Calibrator.entropyBin(hist);
        assertTrue(p > 3.0 && p < 5.0, "99.99th percentile of |N(0,1)| is about 3.9, got " + p);
        assertTrue(kl > 2.0 && kl < 10.0, "entropy threshold " + kl + " should clip the outliers at 40..59");
        assertEquals(Calibrator.BINS, Calibrator.percentileBin(hist, 100));
    }

    @Test
    void fewDistinctValuesKeepTheFullRange() {
        long[] hist = new long[Calibrator.BINS];
        for (int i = 0; i <= 16; i++) hist[Math.min(Calibrator.BINS - 1, i * 128)] += 100;
        assertEquals(Calibrator.BINS, Calibrator.entropyBin(hist));
    }

    @Test
    void activationParametersCoverTheRangeAndZero() {
        float[] u = StaticQuantizer.activationParams(new Calibrator.Range(-1f, 3f), DType.UINT8);
        assertEquals(4f / 255, u[0], 1e-7);
        assertEquals(64, u[1]); // round(0 - (-1) / (4/255)) = 63.75
        float[] s = StaticQuantizer.activationParams(new Calibrator.Range(0f, 2.55f), DType.INT8);
        assertEquals(0.01f, s[0], 1e-7);
        assertEquals(-128, s[1]);
        float[] zero = StaticQuantizer.activationParams(new Calibrator.Range(0f, 0f), DType.UINT8);
        assertEquals(1f, zero[0]);
    }
}
