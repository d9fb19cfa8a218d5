package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Random;

/**
 * Prints the heap bytes per single-thread run of {@link F32FewPositionsConv} at the preferred width
 * ({@code NAME BYTES} lines); run in a JVM of its own by {@link F32FewPositionsConvTest}, so that the
 * species is a JIT constant as in an engine process.
 */
public final class F32FewPositionsConvAllocationProbe {
    static final int CASES = 2;
    private static final long BUDGET_NANOS = 20_000_000_000L; // a loaded machine can delay the JIT for seconds

    public static void main(String[] args) {
        System.out.println("3x3 64->64 @7x7, Relu " + bytesPerRun(64, 64, 7, 3, 1, new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f)));
        System.out.println("1x1 stride 2 32->48 @14x14, LeakyRelu " + bytesPerRun(32, 48, 14, 1, 2,
                new ActivationEpilogue(F32UnaryOp.LEAKY_RELU, 0.1f, 0f)));
    }

    private static long bytesPerRun(int c, int m, int side, int kernel, int stride, ActivationEpilogue act) {
        Random rnd = new Random(3);
        int pad = kernel / 2, out = (side + 2 * pad - kernel) / stride + 1;
        long[] xs = {1, c, side, side}, ws = {m, c, kernel, kernel}, ys = {1, m, out, out};
        int[] s = {stride, stride}, p = {pad, pad}, one = {1, 1};
        try (Tensor x = Tensor.of(F32GemmTest.random(rnd, c * side * side), xs);
             Tensor wt = Tensor.of(F32GemmTest.random(rnd, m * c * kernel * kernel), ws);
             Tensor b = Tensor.of(F32GemmTest.random(rnd, m), m); Tensor y = Tensor.allocate(DType.FLOAT, ys);
             Arena arena = Arena.ofConfined()) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, ys, 1, s, p, one, wt, act);
            var kernelRun = new F32FewPositionsConv(spec, Vectors.F32);
            MemorySegment scratch = arena.allocate(Math.max(1, kernelRun.scratchBytes()), 64);
            Runnable body = () -> kernelRun.run(x.data(), wt.data(), b.data(), y.data(), scratch, Parallel.SERIAL);
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
