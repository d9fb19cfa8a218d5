package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.OwnJvmProbe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

/**
 * Prints the heap bytes per single-thread run of {@link Q8Winograd4x4} at the preferred width
 * ({@code NAME BYTES} lines); run in a JVM of its own by {@link Q8Winograd4x4Test}, so that the
 * species is a JIT constant as in an engine process.
 */
public final class Q8Winograd4x4AllocationProbe {
    static final int CASES = 2;

    public static void main(String[] args) {
        System.out.println("Q8Winograd4x4 32->32 @28x28 " + bytesPerRun(32, 32, 28, 28));
        System.out.println("Q8Winograd4x4 16->24 @30x29 " + bytesPerRun(16, 24, 30, 29));
    }

    private static long bytesPerRun(int c, int m, int h, int w) {
        Random rnd = new Random(5);
        long[] xs = {1, c, h, w}, ws = {m, c, 3, 3}, ys = {1, m, h, w};
        int[] one = {1, 1};
        byte[] xb = new byte[c * h * w], wb = new byte[m * c * 9];
        rnd.nextBytes(xb);
        rnd.nextBytes(wb);
        float[] mult = new float[m];
        Arrays.fill(mult, 1e-4f);
        try (Tensor x = Tensor.of(DType.UINT8, xb, xs); Tensor wt = Tensor.of(DType.INT8, wb, ws);
             Tensor y = Tensor.allocate(DType.UINT8, ys); Arena arena = Arena.ofConfined()) {
            var geometry = new KernelProvider.ConvSpec(DType.UINT8, xs, ws, ys, 1, one, one, one, wt, null);
            var spec = new KernelProvider.Q8ConvSpec(geometry, false, 128, null, mult, false, 0, 0, 255);
            var kernel = new Q8Winograd4x4(spec, F32Gemm.preferred());
            MemorySegment scratch = arena.allocate(kernel.scratchBytes(), 64);
            return OwnJvmProbe.leastBytesPerRun(() -> kernel.run(x.data(), y.data(), scratch, Parallel.SERIAL));
        }
    }
}
