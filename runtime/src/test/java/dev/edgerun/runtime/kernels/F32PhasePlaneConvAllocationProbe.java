package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.OwnJvmProbe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * Prints the heap bytes per single-thread run of {@link F32PhasePlaneConv} at the preferred width
 * ({@code NAME BYTES} lines); run in a JVM of its own by {@link F32PhasePlaneConvTest}, so that the
 * species is a JIT constant as in an engine process.
 */
public final class F32PhasePlaneConvAllocationProbe {
    static final int CASES = 1;

    public static void main(String[] args) {
        long[] xs = {1, 1, 49, 10}, ws = {64, 1, 10, 4}, ys = {1, 64, 25, 5};
        Random rnd = new Random(5);
        try (Tensor x = Tensor.of(F32GemmTest.random(rnd, 490), xs); Tensor w = Tensor.of(F32GemmTest.random(rnd, 2560), ws);
             Tensor b = Tensor.of(F32GemmTest.random(rnd, 64), 64); Tensor y = Tensor.allocate(DType.FLOAT, ys);
             Arena arena = Arena.ofConfined()) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, ys, 1, new int[] {2, 2}, new int[] {5, 1},
                    new int[] {1, 1}, w, new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f));
            var conv = new F32PhasePlaneConv(spec, Vectors.F32);
            MemorySegment scratch = arena.allocate(conv.scratchBytes(), 64);
            System.out.println("DS-CNN stem 1->64 10x4 s2, Relu " + OwnJvmProbe.leastBytesPerRun(
                    () -> conv.run(x.data(), w.data(), b.data(), y.data(), scratch, Parallel.SERIAL)));
        }
    }
}
