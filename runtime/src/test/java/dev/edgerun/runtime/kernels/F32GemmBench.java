package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * A crude single-thread throughput check of the Java kernels (not a test, not JMH: best of N
 * runs after warm-up). Run it from the repository root after {@code mvn test-compile}:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp runtime/target/classes:runtime/target/test-classes \
 *      [-Dedgerun.vectorBits=128] dev.edgerun.runtime.kernels.F32GemmBench [gemm|fc|conv|dw|dw2|softmax]
 * </pre>
 * Run one case per JVM for stable figures: the JIT profiles memory-segment types per call site.
 */
public final class F32GemmBench {
    private F32GemmBench() {}

    public static void main(String[] args) {
        String only = args.length > 0 ? args[0] : "all";
        JavaKernels kernels = JavaKernels.vector();
        System.out.println("provider " + kernels + " (edgerun.vectorBits=" + Vectors.BITS + ")");
        try (Arena arena = Arena.ofShared()) {
            if (only.equals("all") || only.equals("gemm")) gemm(kernels, arena);
            if (only.equals("all") || only.equals("fc")) fullyConnected(kernels, arena);
            if (only.equals("all") || only.equals("conv")) conv(kernels, arena, "3x3 conv 64->64 @56x56",
                    new long[] {1, 64, 56, 56}, new long[] {64, 64, 3, 3}, 1, 200);
            if (only.equals("all") || only.equals("dw")) conv(kernels, arena, "depthwise 3x3, 576 ch @14x14",
                    new long[] {1, 576, 14, 14}, new long[] {576, 1, 3, 3}, 576, 400);
            if (only.equals("all") || only.equals("dw2")) conv(kernels, arena, "depthwise 3x3 stride 2, 96 ch @112x112",
                    new long[] {1, 96, 112, 112}, new long[] {96, 1, 3, 3}, 96, 2, 100);
            if (only.equals("all") || only.equals("softmax")) softmax();
        }
    }

    private static Tensor random(Random rnd, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat() * 2 - 1;
        return Tensor.of(v, dims);
    }

    private static void gemm(JavaKernels kernels, Arena arena) {
        int n = 512;
        Random rnd = new Random(1);
        try (Tensor a = random(rnd, n, n); Tensor b = random(rnd, n, n); Tensor c = Tensor.allocate(DType.FLOAT, n, n)) {
            for (boolean constB : new boolean[] {true, false}) {
                var spec = new KernelProvider.GemmSpec(DType.FLOAT, n, n, n, false, false, 1f, false, null, constB ? b : null, null);
                var k = kernels.gemm(spec).orElseThrow();
                MemorySegment s = arena.allocate(k.scratchBytes() + 64, 64);
                double best = best(200, () -> k.run(a.data(), 0, b.data(), 0, c.data(), 0, s, Parallel.SERIAL));
                report("GEMM 512^3" + (constB ? " (B packed once)" : " (B packed per run)"), best, spec.flops());
            }
        }
    }

    private static void fullyConnected(JavaKernels kernels, Arena arena) {
        Random rnd = new Random(2);
        try (Tensor w = random(rnd, 1280, 1000); Tensor x = random(rnd, 1, 1280); Tensor y = Tensor.allocate(DType.FLOAT, 1, 1000)) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, 1, 1000, 1280, false, false, 1f, false, null, w, null);
            var k = kernels.gemm(spec).orElseThrow();
            MemorySegment s = arena.allocate(k.scratchBytes() + 64, 64);
            report("FC 1x1280 -> 1000", best(400, () -> k.run(x.data(), 0, w.data(), 0, y.data(), 0, s, Parallel.SERIAL)), spec.flops());
        }
    }

    private static void conv(JavaKernels kernels, Arena arena, String name, long[] xs, long[] ws, int group, int runs) {
        conv(kernels, arena, name, xs, ws, group, 1, runs);
    }

    /** A 3x3 convolution padded by 1 with the given stride. */
    private static void conv(JavaKernels kernels, Arena arena, String name, long[] xs, long[] ws, int group, int stride,
                             int runs) {
        Random rnd = new Random(3);
        long oh = (xs[2] - 1) / stride + 1, ow = (xs[3] - 1) / stride + 1;
        try (Tensor x = random(rnd, xs); Tensor w = random(rnd, ws); Tensor b = random(rnd, ws[0]);
             Tensor y = Tensor.allocate(DType.FLOAT, xs[0], ws[0], oh, ow)) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, y.shape().dims(), group, new int[] {stride, stride},
                    new int[] {1, 1}, new int[] {1, 1}, w, null);
            var k = kernels.conv(spec).orElseThrow();
            MemorySegment s = arena.allocate(k.scratchBytes() + 64, 64);
            report(name + " [" + k.getClass().getSimpleName() + "]",
                    best(runs, () -> k.run(x.data(), w.data(), b.data(), y.data(), s, Parallel.SERIAL)), spec.flops());
        }
    }

    private static void softmax() {
        int rows = 64, n = 1000;
        try (Tensor x = random(new Random(4), rows, n); Tensor y = Tensor.allocate(DType.FLOAT, rows, n)) {
            double vector = best(400, () -> F32Softmax.run(Vectors.F32, false, x.data(), y.data(), n, 1, 0, rows));
            double scalar = best(400, () -> F32Softmax.run(null, false, x.data(), y.data(), n, 1, 0, rows));
            System.out.printf("softmax 64 x 1000: vector %.1f us, scalar %.1f us%n", vector * 1e6, scalar * 1e6);
        }
    }

    /** The fastest of {@code runs} timed runs, after as many untimed ones for the JIT to settle. */
    private static double best(int runs, Runnable body) {
        for (int i = 0; i < runs; i++) body.run();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            body.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }

    private static void report(String name, double seconds, long flops) {
        System.out.printf("%-48s %8.3f ms  %6.1f GFLOP/s%n", name, seconds * 1e3, flops / seconds / 1e9);
    }
}
