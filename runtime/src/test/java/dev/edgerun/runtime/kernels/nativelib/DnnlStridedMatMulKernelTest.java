package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32Gemm;
import dev.edgerun.runtime.kernels.F32RowEpilogue;
import dev.edgerun.runtime.kernels.F32StridedMatMul;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.JavaKernels;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * oneDNN's strided batched products (attention's {@code softmax(Q.K^T / sqrt d)} and {@code P.V}
 * read and written through the strides of folded Transposes) against the Java kernel
 * {@link F32StridedMatMul} with its scalar reference epilogue, and the oneDNN matmul with an
 * exact GELU epilogue (a post-op on its first run, the Java epilogue after) against the Java scalar
 * GEMM with the GELU epilogue.
 */
class DnnlStridedMatMulKernelTest {
    private String previous;

    @BeforeEach
    void requireLibraryAndForceIt() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
        previous = System.setProperty(KernelSelection.PROPERTY, "onednn");
        KernelSelection.resetDefaults();
    }

    @AfterEach
    void restoreSelection() {
        OneDnnKernelsTest.restore(KernelSelection.PROPERTY, previous);
        KernelSelection.resetDefaults();
    }

    /** Q, K, V of {@code heads} heads of {@code d} features over {@code seq} positions, rows of {@code heads * d} ([seq, heads, d]). */
    record Attention(String name, int heads, int seq, int d) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Attention> attentions() {
        return Stream.of(new Attention("tiny_transformer 4x32x32", 4, 32, 32), new Attention("odd 3x7x5", 3, 7, 5),
                new Attention("one head 1x17x64", 1, 17, 64), new Attention("8x64x16", 8, 64, 16));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attentions")
    void scoresWithSoftmaxMatchJava(Attention c) {
        int h = c.heads, s = c.seq, d = c.d, row = h * d;
        long[] headOff = new long[h], scoreOff = new long[h];
        for (int t = 0; t < h; t++) {
            headOff[t] = (long) t * d;
            scoreOff[t] = (long) t * s * s;
        }
        float divisor = (float) Math.sqrt(d);
        long[] qStrides = {row, 1}, kTransposed = {1, row};
        var java = new F32StridedMatMul(new F32Gemm(null), s, s, d, headOff, qStrides, headOff, kTransposed, scoreOff, s,
                new F32RowEpilogue(null, divisor, true));
        var onednn = DnnlStridedMatMulKernel.create(s, s, d, headOff, qStrides, headOff, kTransposed, scoreOff, s, divisor, true)
                .orElseThrow(() -> new AssertionError("oneDNN declined " + c));
        compare(java, onednn, (long) s * row, (long) s * row, (long) h * s * s);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attentions")
    void weightedValuesWrittenThroughStridesMatchJava(Attention c) {
        int h = c.heads, s = c.seq, d = c.d, row = h * d;
        long[] headOff = new long[h], scoreOff = new long[h];
        for (int t = 0; t < h; t++) {
            headOff[t] = (long) t * d;
            scoreOff[t] = (long) t * s * s;
        }
        long[] pStrides = {s, 1}, vStrides = {row, 1};
        var java = new F32StridedMatMul(new F32Gemm(null), s, d, s, scoreOff, pStrides, headOff, vStrides, headOff, row, null);
        var onednn = DnnlStridedMatMulKernel.create(s, d, s, scoreOff, pStrides, headOff, vStrides, headOff, row, 1f, false)
                .orElseThrow(() -> new AssertionError("oneDNN declined " + c));
        compare(java, onednn, (long) h * s * s, (long) s * row, (long) s * row);
    }

    @Test
    void broadcastOperandAndDivisorWithoutSoftmax() {
        int batches = 3, m = 5, n = 6, k = 4;
        long[] aOff = {0, m * k, 2 * m * k}, bOff = {0, 0, 0}, yOff = {0, m * n, 2 * m * n};
        var java = new F32StridedMatMul(new F32Gemm(null), m, n, k, aOff, new long[] {k, 1}, bOff, new long[] {n, 1}, yOff, n,
                new F32RowEpilogue(null, 2.5f, false));
        var onednn = DnnlStridedMatMulKernel.create(m, n, k, aOff, new long[] {k, 1}, bOff, new long[] {n, 1}, yOff, n, 2.5f, false)
                .orElseThrow(() -> new AssertionError("oneDNN declined a broadcast B"));
        compare(java, onednn, (long) batches * m * k, (long) k * n, (long) batches * m * n);
    }

    @Test
    void declinesOffsetsOutOfProgression() {
        long[] uneven = {0, 10, 30};
        assertTrue(DnnlStridedMatMulKernel.create(2, 2, 2, uneven, new long[] {2, 1}, uneven, new long[] {2, 1}, uneven, 2, 1f, false)
                .isEmpty());
    }

    @Test
    void exactGeluPostOpMatchesJavaEpilogue() {
        var gelu = new ActivationEpilogue(F32UnaryOp.GELU, 0f, 0f);
        int[][] shapes = {{32, 512, 128}, {7, 13, 29}, {1, 64, 16}};
        for (int[] mnk : shapes) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            Random rnd = new Random(m * 31 + n);
            try (Tensor a = OneDnnKernelsTest.randomTensor(rnd, m, k); Tensor b = OneDnnKernelsTest.randomTensor(rnd, k, n);
                 Tensor expected = Tensor.allocate(DType.FLOAT, m, n); Tensor got = Tensor.allocate(DType.FLOAT, m, n);
                 Arena arena = Arena.ofShared()) {
                var spec = new KernelProvider.GemmSpec(DType.FLOAT, m, n, k, false, false, 1f, false, null, b, gelu);
                var reference = JavaKernels.scalar().gemm(spec).orElseThrow();
                reference.run(a.data(), 0, b.data(), 0, expected.data(), 0, arena.allocate(reference.scratchBytes() + 4, 64),
                        Parallel.SERIAL);
                var kernel = new OneDnnKernels().gemm(spec).orElseThrow();
                assertTrue(kernel.toString().contains("(first runs:"), "GELU runs as a post-op on the first run: " + kernel);
                MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 4, 64);
                for (String run : new String[] {"first run (post-op)", "second run (Java epilogue)"}) {
                    got.data().fill((byte) 0);
                    kernel.run(a.data(), 0, b.data(), 0, got.data(), 0, scratch, Parallel.SERIAL);
                    OneDnnKernelsTest.assertClose(expected.toFloatArray(), got.toFloatArray(), kernel + " " + m + "x" + n + "x" + k + ", " + run);
                }
            }
        }
    }

    /** Runs both kernels on the same random A and B (of the given float counts) and compares the Y they write (twice: a reused program). */
    private static void compare(F32StridedMatMul java, DnnlStridedMatMulKernel onednn, long aFloats, long bFloats, long yFloats) {
        Random rnd = new Random(aFloats * 7 + bFloats);
        try (Tensor a = OneDnnKernelsTest.randomTensor(rnd, aFloats); Tensor b = OneDnnKernelsTest.randomTensor(rnd, bFloats);
             Tensor expected = Tensor.allocate(DType.FLOAT, yFloats); Tensor got = Tensor.allocate(DType.FLOAT, yFloats);
             Arena arena = Arena.ofShared()) {
            java.run(a.data(), b.data(), expected.data(), arena.allocate(java.scratchBytes(1) + 4, 64), Parallel.SERIAL);
            MemorySegment scratch = arena.allocate(onednn.scratchBytes() + 4, 64);
            for (int repeat = 0; repeat < 2; repeat++) {
                got.data().fill((byte) 0);
                onednn.run(a.data(), b.data(), got.data(), scratch, 1);
                OneDnnKernelsTest.assertClose(expected.toFloatArray(), got.toFloatArray(), onednn.toString());
            }
        }
    }
}
