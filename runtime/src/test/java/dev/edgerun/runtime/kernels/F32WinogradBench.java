package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

/**
 * Winograd against im2col+GEMM on the 3x3 stride-1 layers of ResNet-18 and the conv autoencoder,
 * single thread, interleaved in one process (not a test, not JMH: medians of rounds that alternate
 * the two kernels). Run from the repository root after test-compile:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp runtime/target/classes:runtime/target/test-classes \
 *      dev.edgerun.runtime.kernels.F32WinogradBench [rounds [c,m,side ...]]
 * </pre>
 */
public final class F32WinogradBench {
    private F32WinogradBench() {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int[][] shapes = { // c, m, side
                {64, 64, 56}, {128, 128, 28}, {256, 256, 14}, {16, 32, 32}, {32, 64, 16}, {64, 32, 32}, {32, 16, 64}};
        if (args.length > 1) {
            shapes = new int[args.length - 1][];
            for (int a = 1; a < args.length; a++) {
                shapes[a - 1] = Arrays.stream(args[a].split(",")).mapToInt(Integer::parseInt).toArray();
            }
        }
        for (int[] s : shapes) compare(s[0], s[1], s[2], rounds);
    }

    private static void compare(int c, int m, int side, int rounds) {
        Random rnd = new Random(1);
        long[] xs = {1, c, side, side}, ws = {m, c, 3, 3}, ys = {1, m, side, side};
        int[] one = {1, 1};
        try (Tensor x = Tensor.of(F32GemmTest.random(rnd, c * side * side), xs);
             Tensor w = Tensor.of(F32GemmTest.random(rnd, m * c * 9), ws);
             Tensor b = Tensor.of(F32GemmTest.random(rnd, m), m);
             Tensor y = Tensor.allocate(DType.FLOAT, ys); Arena arena = Arena.ofConfined()) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, ys, 1, one, one, one, w,
                    new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f));
            KernelProvider.ConvKernel gemm = new F32ConvKernel(spec, F32Gemm.preferred());
            KernelProvider.ConvKernel wino = new F32Winograd(spec, F32Gemm.preferred());
            MemorySegment scratch = arena.allocate(Math.max(gemm.scratchBytes(), wino.scratchBytes()), 64);
            long macs = (long) m * c * 9 * side * side;
            int reps = (int) Math.max(1, 20_000_000L / macs);
            double[] tg = new double[rounds], tw = new double[rounds];
            for (int warm = 0; warm < 30; warm++) {
                time(gemm, x, w, b, y, scratch, reps);
                time(wino, x, w, b, y, scratch, reps);
            }
            for (int r = 0; r < rounds; r++) {
                tg[r] = time(gemm, x, w, b, y, scratch, reps);
                tw[r] = time(wino, x, w, b, y, scratch, reps);
            }
            double g = median(tg), wi = median(tw);
            System.out.printf("%3d->%3d @%2dx%-2d  im2col+gemm %8.1f us (%5.1f GFLOP/s)  winograd %8.1f us  ratio %.2f%n",
                    c, m, side, side, g, 2e-3 * macs / g, wi, wi / g);
        }
    }

    private static double time(KernelProvider.ConvKernel k, Tensor x, Tensor w, Tensor b, Tensor y, MemorySegment scratch, int reps) {
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) k.run(x.data(), w.data(), b.data(), y.data(), scratch, Parallel.SERIAL);
        return (System.nanoTime() - t0) / 1e3 / reps;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
