package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * The depthwise kernels side by side on DS-CNN's and MobileNetV2's layers (a shape's optional
 * fourth number is its stride: {@code 96,112,112,2}), single thread,
 * interleaved in one process (not a test, not JMH): medians over rounds of the calling thread's CPU
 * time per call, each round running every kernel in turn, so that load from other processes
 * shifts them alike. Run from the repository root after test-compile:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp runtime/target/classes:runtime/target/test-classes \
 *      dev.edgerun.runtime.kernels.F32DepthwiseBench [rounds [c,side_h,side_w ...]]
 * </pre>
 */
public final class F32DepthwiseBench {
    private F32DepthwiseBench() {}

    private record Named(String name, Function<KernelProvider.ConvSpec, KernelProvider.ConvKernel> make) { }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 41;
        int[][] shapes = {{64, 25, 5}, {576, 14, 14}, {960, 7, 7}, {192, 28, 28}};
        if (args.length > 1) {
            shapes = new int[args.length - 1][];
            for (int a = 1; a < args.length; a++) shapes[a - 1] = Arrays.stream(args[a].split(",")).mapToInt(Integer::parseInt).toArray();
        }
        var species = F32Gemm.preferred().species();
        Map<String, Named> known = Map.of(
                "same-width", new Named("same-width", spec -> F32DepthwiseSameWidth.supports(spec, species) ? new F32DepthwiseSameWidth(spec, species) : null),
                "3x3", new Named("3x3", spec -> F32Depthwise3x3.supports(spec, species) ? new F32Depthwise3x3(spec, species) : null),
                "3x3flat", new Named("3x3flat", spec -> F32Depthwise3x3.supports(spec, species) ? flat(spec, species) : null),
                "3x3nine", new Named("3x3nine", spec -> F32Depthwise3x3.supports(spec, species) ? nineLoads(spec, species) : null),
                "rows", new Named("rows", spec -> new F32DepthwiseRows(spec, species)),
                "3x3s2", new Named("3x3s2", spec -> F32Depthwise3x3Stride2.supports(spec, species) ? new F32Depthwise3x3Stride2(spec, species) : null),
                "3x3s2nine", new Named("3x3s2nine", spec -> F32Depthwise3x3Stride2.supports(spec, species) ? stride2NineLoads(spec, species) : null),
                "conv", new Named("conv", spec -> new F32DepthwiseConv(spec, species)));
        List<Named> kernels = Arrays.stream(System.getProperty("bench.kernels", "same-width,3x3").split(","))
                .map(known::get).toList();
        for (int[] s : shapes) compare(s[0], s[1], s[2], s.length > 3 ? s[3] : 1, rounds, kernels);
        if (Boolean.getBoolean("bench.pointwise")) pointwise(rounds);
    }

    /** F32Depthwise3x3 with its column sums switched off: nine loads per output vector, row quads on wide rows. */
    private static KernelProvider.ConvKernel nineLoads(KernelProvider.ConvSpec spec, jdk.incubator.vector.VectorSpecies<Float> species) {
        System.setProperty("edgerun.java.f32Depthwise3x3ColumnSums", "off");
        try {
            return new F32Depthwise3x3(spec, species);
        } finally {
            System.clearProperty("edgerun.java.f32Depthwise3x3ColumnSums");
        }
    }

    /** F32Depthwise3x3Stride2 loading each tap (its column sums switched off). */
    private static KernelProvider.ConvKernel stride2NineLoads(KernelProvider.ConvSpec spec, jdk.incubator.vector.VectorSpecies<Float> species) {
        System.setProperty("edgerun.java.depthwiseStride2ColumnSums", "off");
        try {
            return new F32Depthwise3x3Stride2(spec, species);
        } finally {
            System.clearProperty("edgerun.java.depthwiseStride2ColumnSums");
        }
    }

    /** F32Depthwise3x3 with its row-quad loop switched off. */
    private static KernelProvider.ConvKernel flat(KernelProvider.ConvSpec spec, jdk.incubator.vector.VectorSpecies<Float> species) {
        System.setProperty("edgerun.java.f32Depthwise3x3Rows", "off");
        try {
            return new F32Depthwise3x3(spec, species);
        } finally {
            System.clearProperty("edgerun.java.f32Depthwise3x3Rows");
        }
    }

    private static void compare(int c, int h, int w, int stride, int rounds, List<Named> kernels) {
        Random rnd = new Random(1);
        long[] xs = {1, c, h, w}, ws = {c, 1, 3, 3}, ys = {1, c, (h - 1) / stride + 1, (w - 1) / stride + 1};
        int[] one = {1, 1}, strides = {stride, stride};
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (Tensor x = Tensor.of(F32GemmTest.random(rnd, c * h * w), xs);
             Tensor wt = Tensor.of(F32GemmTest.random(rnd, c * 9), ws);
             Tensor b = Tensor.of(F32GemmTest.random(rnd, c), c);
             Tensor y = Tensor.allocate(DType.FLOAT, ys); Arena arena = Arena.ofConfined()) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, ys, c, strides, one, one, wt,
                    new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f));
            List<Named> named = kernels.stream().filter(k -> k.make().apply(spec) != null).toList();
            KernelProvider.ConvKernel[] ks = named.stream().map(k -> k.make().apply(spec)).toArray(KernelProvider.ConvKernel[]::new);
            long scratchBytes = Arrays.stream(ks).mapToLong(KernelProvider.ConvKernel::scratchBytes).max().orElse(0);
            MemorySegment scratch = arena.allocate(scratchBytes + 64, 64);
            long macs = ys[1] * ys[2] * ys[3] * 9;
            int reps = (int) Math.max(1, 5_000_000L / macs);
            double[][] t = new double[ks.length][rounds];
            for (int warm = 0; warm < 40; warm++) for (var k : ks) time(mx, k, x, wt, b, y, scratch, reps);
            for (int r = 0; r < rounds; r++) for (int i = 0; i < ks.length; i++) t[i][r] = time(mx, ks[i], x, wt, b, y, scratch, reps);
            StringBuilder line = new StringBuilder(String.format("%4d @%2dx%-2d", c, h, w));
            double first = median(t[0]);
            for (int i = 0; i < ks.length; i++) {
                double m = median(t[i]);
                line.append(String.format("  %s %7.2f us (%4.1f GFLOP/s, %.2fx)", named.get(i).name(), m, 2e-3 * macs / m, m / first));
            }
            System.out.println(line);
        }
    }

    /** DS-CNN's 64x64 pointwise layer and its first convolution (1 -> 64 channels, 10x4, stride 2) on the kernel JavaKernels picks. */
    private static void pointwise(int rounds) {
        conv(rounds, "pointwise 64->64 @25x5", new long[] {1, 64, 25, 5}, new long[] {64, 64, 1, 1}, new int[] {1, 1}, new int[] {0, 0});
        conv(rounds, "first conv 1->64 10x4/2 @49x10", new long[] {1, 1, 49, 10}, new long[] {64, 1, 10, 4}, new int[] {2, 2}, new int[] {5, 1});
    }

    private static void conv(int rounds, String name, long[] xs, long[] ws, int[] strides, int[] pads) {
        Random rnd = new Random(1);
        long[] ys = {1, ws[0], (xs[2] + 2 * pads[0] - ws[2]) / strides[0] + 1, (xs[3] + 2 * pads[1] - ws[3]) / strides[1] + 1};
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (Tensor x = Tensor.of(F32GemmTest.random(rnd, (int) (xs[1] * xs[2] * xs[3])), xs);
             Tensor wt = Tensor.of(F32GemmTest.random(rnd, (int) (ws[0] * ws[1] * ws[2] * ws[3])), ws);
             Tensor b = Tensor.of(F32GemmTest.random(rnd, (int) ws[0]), ws[0]);
             Tensor y = Tensor.allocate(DType.FLOAT, ys); Arena arena = Arena.ofConfined()) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, ys, 1, strides, pads, new int[] {1, 1}, wt,
                    new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f));
            KernelProvider.ConvKernel k = JavaKernels.vector(F32Gemm.preferred().species()).conv(spec).orElseThrow();
            MemorySegment scratch = arena.allocate(k.scratchBytes() + 64, 64);
            double[] t = new double[rounds];
            for (int warm = 0; warm < 40; warm++) time(mx, k, x, wt, b, y, scratch, 100);
            for (int r = 0; r < rounds; r++) t[r] = time(mx, k, x, wt, b, y, scratch, 100);
            double m = median(t);
            long macs = ys[1] * ys[2] * ys[3] * ws[1] * ws[2] * ws[3];
            System.out.printf("%s  %7.2f us (%4.1f GFLOP/s) %s%n", name, m, 2e-3 * macs / m, k);
        }
    }

    private static double time(ThreadMXBean mx, KernelProvider.ConvKernel k, Tensor x, Tensor w, Tensor b, Tensor y,
                               MemorySegment scratch, int reps) {
        long t0 = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < reps; i++) k.run(x.data(), w.data(), b.data(), y.data(), scratch, Parallel.SERIAL);
        return (mx.getCurrentThreadCpuTime() - t0) / 1e3 / reps;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
