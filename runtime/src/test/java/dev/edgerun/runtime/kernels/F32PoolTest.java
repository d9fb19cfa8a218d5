package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Global pooling at each width against the scalar path; windowed pooling against a naive loop. */
class F32PoolTest {

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void globalPoolingMatchesScalar(int bits) {
        Random rnd = new Random(bits);
        for (int size : new int[] {1, 3, 17, 49, 64, 65, 3136}) {
            int planes = 3;
            float[] x = F32GemmTest.random(rnd, planes * size);
            for (boolean max : new boolean[] {false, true}) {
                try (Tensor tx = Tensor.of(x, planes, size); Tensor fast = Tensor.allocate(DType.FLOAT, planes);
                     Tensor ref = Tensor.allocate(DType.FLOAT, planes)) {
                    F32Pool.global(F32GemmTest.species(bits), max, tx.data(), fast.data(), size, 0, planes);
                    F32Pool.global(null, max, tx.data(), ref.data(), size, 0, planes);
                    for (int p = 0; p < planes; p++) {
                        assertEquals(ref.getFloat(p), fast.getFloat(p), 1e-5f, "size " + size + " max " + max + " plane " + p);
                    }
                }
            }
        }
    }

    @Test
    void windowedPoolingMatchesNaiveLoop() {
        // 2-D, 7x9 input, 3x2 kernel, strides 2x3, pads (1,0)/(2,1), dilations 2x1
        int h = 7, w = 9, kh = 3, kw = 2, sh = 2, sw = 3, pt = 1, pl = 0, pbm = 2, pr = 1, dh = 2, dw = 1;
        int oh = (h + pt + pbm - ((kh - 1) * dh + 1)) / sh + 1, ow = (w + pl + pr - ((kw - 1) * dw + 1)) / sw + 1;
        float[] x = F32GemmTest.random(new Random(5), h * w);
        F32Pool pool = new F32Pool(new int[] {h, w}, new int[] {kh, kw}, new int[] {sh, sw}, new int[] {pt, pl},
                new int[] {pbm, pr}, new int[] {dh, dw}, new int[] {oh, ow});
        try (Tensor tx = Tensor.of(x, h * w); Tensor max = Tensor.allocate(DType.FLOAT, oh * ow);
             Tensor idx = Tensor.allocate(DType.INT64, oh * ow); Tensor avg = Tensor.allocate(DType.FLOAT, oh * ow);
             Tensor avgPad = Tensor.allocate(DType.FLOAT, oh * ow)) {
            pool.max(tx.data(), max.data(), idx.data(), false, 0, 1);
            pool.average(tx.data(), avg.data(), false, 0, 1);
            pool.average(tx.data(), avgPad.data(), true, 0, 1);
            for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
                float best = Float.NEGATIVE_INFINITY, sum = 0;
                int bestAt = -1, inside = 0, padded = 0;
                for (int a = 0; a < kh; a++) for (int b = 0; b < kw; b++) {
                    int y = i * sh - pt + a * dh, z = j * sw - pl + b * dw;
                    if (y >= -pt && y < h + pbm && z >= -pl && z < w + pr) padded++;
                    if (y < 0 || y >= h || z < 0 || z >= w) continue;
                    float v = x[y * w + z];
                    inside++;
                    sum += v;
                    if (v > best) {
                        best = v;
                        bestAt = y * w + z;
                    }
                }
                int o = i * ow + j;
                assertEquals(best, max.getFloat(o), 0f, "max at " + o);
                assertEquals(bestAt, idx.getLong(o), "argmax at " + o);
                assertEquals(sum / inside, avg.getFloat(o), 1e-6f, "average at " + o);
                assertEquals(sum / padded, avgPad.getFloat(o), 1e-6f, "average with pads at " + o);
            }
        }
    }
}
