package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Separable 2-D pooling at each vector width and scalar against the general windowed path of {@link F32Pool}. */
class F32PoolRowsTest {

    /** {h, w, kh, kw, sh, sw, padTop, padLeft, padBottom, padRight, ceil}. */
    private static final int[][] CASES = {
            {112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 0}, // resnet18's stem
            {17, 23, 3, 3, 2, 2, 1, 1, 1, 1, 1},
            {16, 16, 2, 2, 2, 2, 0, 0, 0, 0, 0}, // conv_autoencoder
            {15, 37, 2, 2, 2, 2, 0, 0, 0, 0, 1},
            {9, 41, 3, 3, 1, 1, 1, 1, 1, 1, 0},
            {7, 5, 2, 3, 1, 2, 0, 2, 1, 0, 1},
            {5, 70, 3, 2, 2, 1, 2, 1, 0, 1, 0},
            {1, 33, 1, 3, 1, 2, 0, 1, 0, 1, 0}, // 1-D
            {3, 3, 3, 3, 1, 1, 0, 0, 0, 0, 0},
    };

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128, 0})
    void maxAndAverageMatchGeneralPath(int bits) {
        VectorSpecies<Float> species = bits == 0 ? null : F32GemmTest.species(bits);
        Random rnd = new Random(bits + 1);
        for (int[] c : CASES) {
            int h = c[0], w = c[1], planes = 3;
            int oh = outSize(h, c[2], c[4], c[6], c[8], c[10] != 0), ow = outSize(w, c[3], c[5], c[7], c[9], c[10] != 0);
            F32Pool pool = new F32Pool(new int[] {h, w}, new int[] {c[2], c[3]}, new int[] {c[4], c[5]},
                    new int[] {c[6], c[7]}, new int[] {c[8], c[9]}, new int[] {1, 1}, new int[] {oh, ow});
            float[] x = F32GemmTest.random(rnd, planes * h * w);
            try (Arena arena = Arena.ofConfined(); Tensor tx = Tensor.of(x, planes * h * w)) {
                String name = java.util.Arrays.toString(c) + " at " + bits + " bits";
                compare(name + " max", pool, species, tx.data(), planes, oh * ow, arena, 0);
                compare(name + " average", pool, species, tx.data(), planes, oh * ow, arena, 1);
                compare(name + " average with pads", pool, species, tx.data(), planes, oh * ow, arena, 2);
            }
        }
    }

    /** mode 0: max, 1: average, 2: average counting pads. */
    private static void compare(String name, F32Pool pool, VectorSpecies<Float> species, MemorySegment x, int planes,
                                int outPlane, Arena arena, int mode) {
        F32PoolRows rows = pool.separable(mode == 2);
        assertNotNull(rows, name);
        try (Tensor fast = Tensor.allocate(DType.FLOAT, planes * outPlane); Tensor ref = Tensor.allocate(DType.FLOAT, planes * outPlane)) {
            MemorySegment buf = arena.allocate(rows.bufferBytes());
            long bufBytes = rows.bufferBytes();
            MemorySegment bufs = arena.allocate(3 * bufBytes); // the second range's buffer in the middle, as a split run takes it
            if (mode == 0) {
                pool.max(x, ref.data(), null, false, 0, planes);
                rows.max(species, x, fast.data(), buf, 0, 1); // two ranges, as two threads would run them
                rows.max(species, x, fast.data(), bufs, bufBytes, 1, planes);
            } else {
                pool.average(x, ref.data(), mode == 2, 0, planes);
                rows.average(species, x, fast.data(), buf, 0, 1);
                rows.average(species, x, fast.data(), bufs, bufBytes, 1, planes);
            }
            for (int i = 0; i < planes * outPlane; i++) {
                float want = ref.getFloat(i);
                assertEquals(want, fast.getFloat(i), mode == 0 ? 0f : 1e-6f * Math.max(1f, Math.abs(want)), name + " at " + i);
            }
        }
    }

    private static int outSize(int in, int k, int s, int padBegin, int padEnd, boolean ceil) {
        int span = in + padBegin + padEnd - k;
        int out = (ceil ? (span + s - 1) / s : span / s) + 1;
        if (ceil && (out - 1) * s >= in + padBegin) out--; // ONNX drops a last window starting in the end padding
        return out;
    }

    @Test
    void windowsWhollyInPaddingOrDilationAreLeftToTheGeneralPath() {
        F32Pool dilated = new F32Pool(new int[] {8, 8}, new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0},
                new int[] {0, 0}, new int[] {2, 2}, new int[] {6, 6});
        assertNull(dilated.separable(false));
        // pads 2 with kernel 2: the first output row sees only padding
        F32Pool padded = new F32Pool(new int[] {4, 4}, new int[] {2, 2}, new int[] {1, 1}, new int[] {2, 0},
                new int[] {0, 0}, new int[] {1, 1}, new int[] {5, 3});
        assertNull(padded.separable(false));
        F32Pool volume = new F32Pool(new int[] {4, 4, 4}, new int[] {2, 2, 2}, new int[] {1, 1, 1}, new int[] {0, 0, 0},
                new int[] {0, 0, 0}, new int[] {1, 1, 1}, new int[] {3, 3, 3});
        assertNull(volume.separable(false));
    }
}
