package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.OwnJvmProbe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import jdk.incubator.vector.FloatVector;

/**
 * Prints the heap bytes per single-thread run of {@link Q8PointwiseDirect} (one
 * {@code NAME BYTES} line); run in a JVM of its own by {@link Q8PointwiseDirectTest}, so
 * that the species is a JIT constant as in an engine process.
 */
public final class Q8PointwiseDirectAllocationProbe {
    private Q8PointwiseDirectAllocationProbe() {}

    public static void main(String[] args) {
        long[] xs = {1, 384, 14, 14}, ws = {64, 384, 1, 1}, ys = {1, 64, 14, 14};
        Random rnd = new Random(7);
        byte[] xb = new byte[384 * 196], wb = new byte[64 * 384];
        rnd.nextBytes(xb);
        rnd.nextBytes(wb);
        int[] bias = new int[64];
        float[] mult = new float[64];
        java.util.Arrays.fill(mult, 1e-4f);
        try (Tensor x = Tensor.of(DType.UINT8, xb, xs); Tensor w = Tensor.of(DType.INT8, wb, ws);
             Tensor y = Tensor.allocate(DType.UINT8, ys); Arena arena = Arena.ofConfined()) {
            int[] ones = {1, 1}, zeros = {0, 0};
            var geometry = new KernelProvider.ConvSpec(DType.UINT8, xs, ws, ys, 1, ones, zeros, ones, w, null);
            var spec = new KernelProvider.Q8ConvSpec(geometry, false, 128, bias, mult, false, 0, 0, 255);
            var kernel = new Q8PointwiseDirect(spec, new F32Gemm(FloatVector.SPECIES_512));
            MemorySegment scratch = arena.allocate(kernel.scratchBytes(), 64), in = x.data(), out = y.data();
            System.out.println("384->64@14x14 " + OwnJvmProbe.leastBytesPerRun(() -> kernel.run(in, out, scratch, Parallel.SERIAL)));
        }
    }
}
