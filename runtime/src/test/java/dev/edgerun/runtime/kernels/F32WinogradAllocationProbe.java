package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Random;

/**
 * Prints the heap bytes per single-thread run of {@link F32Winograd} at the preferred width
 * ({@code NAME BYTES} lines); run in a JVM of its own by {@link F32WinogradTest}, so that the
 * species is a JIT constant as in an engine process.
 */
public final class F32WinogradAllocationProbe {
    static final int CASES = 2;
    private static final long BUDGET_NANOS = 20_000_000_000L; // a loaded machine can delay the JIT for seconds

    public static void main(String[] args) {
        System.out.println("Winograd 16->24 @20x18, Relu " + bytesPerRun(16, 24, 20, 18, new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f)));
        System.out.println("Winograd 32->16 @30x31, LeakyRelu " + bytesPerRun(32, 16, 30, 31, new ActivationEpilogue(F32UnaryOp.LEAKY_RELU, 0.1f, 0f)));
    }

    private static long bytesPerRun(int c, int m, int h, int w, ActivationEpilogue act) {
        Random rnd = new Random(3);
        long[] xs = {1, c, h, w}, ws = {m, c, 3, 3}, ys = {1, m, h, w};
        int[] one = {1, 1};
        try (Tensor x = Tensor.of(F32GemmTest.random(rnd, c * h * w), xs); Tensor wt = Tensor.of(F32GemmTest.random(rnd, m * c * 9), ws);
             Tensor b = Tensor.of(F32GemmTest.random(rnd, m), m); Tensor y = Tensor.allocate(DType.FLOAT, ys);
             Arena arena = Arena.ofConfined()) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, ys, 1, one, one, one, wt, act);
            var kernel = new F32Winograd(spec, F32Gemm.preferred());
            MemorySegment scratch = arena.allocate(kernel.scratchBytes(), 64);
            Runnable body = () -> kernel.run(x.data(), wt.data(), b.data(), y.data(), scratch, Parallel.SERIAL);
            var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            for (int i = 0; i < 3_000; i++) body.run();
            long id = Thread.currentThread().threadId();
            long least = Long.MAX_VALUE;
            long deadline = System.nanoTime() + BUDGET_NANOS;
            while (least > 0 && System.nanoTime() < deadline) {
                long before = bean.getThreadAllocatedBytes(id);
                for (int i = 0; i < 100; i++) body.run();
                least = Math.min(least, (bean.getThreadAllocatedBytes(id) - before) / 100);
            }
            return least;
        }
    }
}
