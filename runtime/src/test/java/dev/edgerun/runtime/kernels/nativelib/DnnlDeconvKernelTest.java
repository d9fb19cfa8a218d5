package dev.edgerun.runtime.kernels.nativelib;

import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.assertClose;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.randomTensor;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.restore;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.threads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * oneDNN's transposed convolutions (the tiling matmul and reorder, and the deconvolution) against
 * a scalar transposed convolution written from its definition, and which ones automatic selection
 * gives oneDNN.
 */
class DnnlDeconvKernelTest {
    private final OneDnnKernels onednn = new OneDnnKernels();

    @BeforeEach
    void requireLibrary() {
        NativeLibraries.assumeAvailable(onednn);
    }

    /** x, ConvTranspose weights [C, M/group, k...], y, group, strides, pads begin, dilations, bias, tiles. */
    record Case(String name, long[] x, long[] w, long[] y, int group, int[] s, int[] pb, int[] d, boolean bias, boolean tiles) {
        @Override
        public String toString() {
            return name;
        }

        KernelProvider.ConvSpec spec(Tensor weights) {
            return new KernelProvider.ConvSpec(DType.FLOAT, x, w, y, group, s, pb, d, weights, null);
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("conv_autoencoder 2x2 stride 2", l(1, 64, 16, 16), l(64, 32, 2, 2), l(1, 32, 32, 32), 1, i(2, 2), i(0, 0), i(1, 1), true, true),
                new Case("2 images, 3x2 tiles, no bias", l(2, 5, 4, 3), l(5, 7, 3, 2), l(2, 7, 12, 6), 1, i(3, 2), i(0, 0), i(1, 1), false, true),
                new Case("3x3 stride 2 padded", l(1, 4, 5, 6), l(4, 3, 3, 3), l(1, 3, 9, 11), 1, i(2, 2), i(1, 1), i(1, 1), true, false),
                new Case("output padding", l(1, 3, 4, 4), l(3, 2, 3, 3), l(1, 2, 10, 10), 1, i(2, 2), i(0, 0), i(1, 1), true, false),
                new Case("grouped", l(1, 4, 5, 5), l(4, 3, 3, 3), l(1, 6, 7, 7), 2, i(1, 1), i(0, 0), i(1, 1), true, false),
                new Case("dilated", l(1, 2, 5, 5), l(2, 3, 3, 3), l(1, 3, 9, 9), 1, i(1, 1), i(0, 0), i(2, 2), true, false),
                new Case("1-D", l(2, 3, 7), l(3, 4, 3), l(2, 4, 15), 1, i(2), i(0), i(1), true, false))
                .flatMap(c -> Stream.of(1, 2).map(t -> Arguments.of(c, t)));
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("cases")
    void matchesDefinition(Case c, int threadCount) {
        Random rnd = new Random(c.name.hashCode());
        try (Tensor x = randomTensor(rnd, c.x); Tensor w = randomTensor(rnd, c.w); Tensor b = randomTensor(rnd, c.y[1]);
             Tensor got = Tensor.allocate(DType.FLOAT, c.y); Arena arena = Arena.ofShared()) {
            var spec = c.spec(w);
            float[] expected = definition(c, x.toFloatArray(), w.toFloatArray(), c.bias ? b.toFloatArray() : null);
            KernelProvider.ConvKernel kernel = DnnlDeconvKernel.create(Dnnl.get(), spec);
            assertTrue(kernel != null, "oneDNN declined " + spec);
            assertEquals(c.tiles, kernel instanceof DnnlTileDeconvKernel, kernel.toString());
            MemorySegment bias = c.bias ? b.data() : MemorySegment.NULL;
            MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 4, 64);
            for (int repeat = 0; repeat < 2; repeat++) {
                got.data().fill((byte) 0x7f);
                kernel.run(x.data(), w.data(), bias, got.data(), scratch, threads(threadCount));
                assertClose(expected, got.toFloatArray(), kernel.toString());
            }
            float[] onHeap = new float[expected.length];
            kernel.run(x.data(), w.data(), c.bias ? MemorySegment.ofArray(b.toFloatArray()) : bias,
                    MemorySegment.ofArray(onHeap), MemorySegment.ofArray(new byte[8]), threads(threadCount));
            assertClose(expected, onHeap, kernel + " on heap memory");
        }
    }

    /** Automatic selection gives oneDNN the tiling ConvTransposes only, unless switched off. */
    @Test
    void autoSelectionTakesTilesOnly() {
        String previous = System.setProperty(KernelSelection.PROPERTY, "auto");
        try (Tensor w = Tensor.allocate(DType.FLOAT, 64, 32, 2, 2); Tensor w3 = Tensor.allocate(DType.FLOAT, 4, 3, 3, 3)) {
            Case tiles = (Case) cases().findFirst().orElseThrow().get()[0];
            assertInstanceOf(DnnlTileDeconvKernel.class, onednn.convTranspose(tiles.spec(w)).orElseThrow());
            var padded = new Case("padded", l(1, 4, 5, 6), l(4, 3, 3, 3), l(1, 3, 9, 11), 1, i(2, 2), i(1, 1), i(1, 1), true, false);
            assertTrue(onednn.convTranspose(padded.spec(w3)).isEmpty(), "the operator keeps the others");
            String old = System.setProperty(NativeKernelRules.CONV_TRANSPOSE_PROPERTY, "off");
            try {
                assertFalse(NativeKernelRules.oneDnnConvTranspose(tiles.spec(w)));
            } finally {
                restore(NativeKernelRules.CONV_TRANSPOSE_PROPERTY, old);
            }
        } finally {
            restore(KernelSelection.PROPERTY, previous);
        }
    }

    /** y[n, g*mg + m, o] = bias + sum over c in group g, kernel taps k with o = i*s + k*d - pb of x[n, c, i] * w[c, m, k]. */
    private static float[] definition(Case c, float[] x, float[] w, float[] bias) {
        int r = c.x.length - 2, n = (int) c.x[0], channels = (int) c.x[1], mg = (int) c.w[1], m = (int) c.y[1];
        int cg = channels / c.group;
        int[] in = new int[r], k = new int[r], out = new int[r];
        for (int a = 0; a < r; a++) {
            in[a] = (int) c.x[a + 2];
            k[a] = (int) c.w[a + 2];
            out[a] = (int) c.y[a + 2];
        }
        int inPlane = prod(in), kPlane = prod(k), outPlane = prod(out);
        double[] y = new double[n * m * outPlane];
        for (int img = 0; img < n; img++) {
            for (int ch = 0; ch < channels; ch++) {
                int g = ch / cg;
                for (int p = 0; p < inPlane; p++) {
                    float xv = x[(img * channels + ch) * inPlane + p];
                    for (int ml = 0; ml < mg; ml++) {
                        for (int t = 0; t < kPlane; t++) {
                            int o = 0, pi = p, ti = t;
                            boolean inside = true;
                            int[] ip = new int[r], kp = new int[r];
                            for (int a = r - 1; a >= 0; a--) {
                                ip[a] = pi % in[a];
                                pi /= in[a];
                                kp[a] = ti % k[a];
                                ti /= k[a];
                            }
                            for (int a = 0; a < r; a++) {
                                int pos = ip[a] * c.s[a] + kp[a] * c.d[a] - c.pb[a];
                                inside &= pos >= 0 && pos < out[a];
                                o = o * out[a] + pos;
                            }
                            if (!inside) continue;
                            y[(img * m + g * mg + ml) * outPlane + o] += xv * w[(ch * mg + ml) * kPlane + t];
                        }
                    }
                }
            }
        }
        float[] result = new float[y.length];
        for (int q = 0; q < y.length; q++) result[q] = (float) (y[q] + (bias == null ? 0 : bias[(q / outPlane) % m]));
        return result;
    }

    private static int prod(int[] v) {
        int p = 1;
        for (int e : v) p *= e;
        return p;
    }

    private static long[] l(long... v) {
        return v;
    }

    private static int[] i(int... v) {
        return v;
    }
}
