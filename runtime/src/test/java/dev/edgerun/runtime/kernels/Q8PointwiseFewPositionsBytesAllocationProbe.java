package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.OwnJvmProbe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import jdk.incubator.vector.FloatVector;

/**
 * Prints the heap bytes per single-thread run of {@link Q8PointwiseFewPositionsBytes} (one
 * {@code NAME BYTES} line); run in a JVM of its own by {@link Q8PointwiseFewPositionsBytesTest}, so
 * that the species is a JIT constant as in an engine process.
 */
public final class Q8PointwiseFewPositionsBytesAllocationProbe {
    private Q8PointwiseFewPositionsBytesAllocationProbe() {}

    public static void main(String[] args) {
        long[] xs = {1, 512, 3, 3}, ws = {512, 512, 1, 1};
        Random rnd = new Random(7);
        byte[] xb = new byte[512 * 9], wb = new byte[512 * 512];
        rnd.nextBytes(xb);
        rnd.nextBytes(wb);
        int[] bias = new int[512];
        float[] mult = new float[512];
        java.util.Arrays.fill(mult, 1e-4f);
        try (Tensor x = Tensor.of(DType.UINT8, xb, xs); Tensor w = Tensor.of(DType.INT8, wb, ws);
             Tensor y = Tensor.allocate(DType.UINT8, xs); Arena arena = Arena.ofConfined()) {
            int[] ones = {1, 1}, zeros = {0, 0};
            var geometry = new KernelProvider.ConvSpec(DType.UINT8, xs, ws, xs, 1, ones, zeros, ones, w, null);
            var spec = new KernelProvider.Q8ConvSpec(geometry, false, 128, bias, mult, false, 0, 0, 255);
            var kernel = new Q8PointwiseFewPositionsBytes(spec, FloatVector.SPECIES_512);
            MemorySegment scratch = arena.allocate(kernel.scratchBytes(), 64), in = x.data(), out = y.data();
            System.out.println("512->512@3x3 " + OwnJvmProbe.leastBytesPerRun(() -> kernel.run(in, out, scratch, Parallel.SERIAL)));
        }
    }
}
