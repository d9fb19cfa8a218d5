package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The costliest convolutions of MobileNetV2 and of the DS-CNN keyword spotter (kws_dscnn) on the
 * Java kernel {@link JavaKernels} picks, 1 thread, each timed as the median over rounds of the
 * calling thread's CPU time per call, the layers interleaved within each round (not a test, not
 * JMH). Run from the repository root after test-compile:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp runtime/target/classes:runtime/target/test-classes \
 *      [-Dbench.warmup=ROUNDS] dev.edgerun.runtime.kernels.F32ConvBench [rounds [name-prefix ...]]
 * </pre>
 * {@link #rounds} lets a driver alternate rounds of two builds loaded side by side.
 */
public final class F32ConvBench {
    private F32ConvBench() {}

    /** A layer: X, W and Y shapes (NCHW), group, strides, pads (begin = end), fused activation or null. */
    public record Layer(String name, long[] x, long[] w, long[] y, int group, int[] strides, int[] pads,
                        ActivationEpilogue activation) {
        long flops() {
            return 2L * w[0] * w[1] * w[2] * w[3] * y[2] * y[3];
        }
    }

    private static final ActivationEpilogue RELU6 = new ActivationEpilogue(F32UnaryOp.CLIP, 0f, 6f);
    private static final ActivationEpilogue RELU = new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f);

    private static final Layer[] LAYERS = {
        square("f2.conv0 16->96 @112", 16, 96, 112, 1, 1, 0, RELU6),
        square("f0 stem 3->32 3x3s2 @224", 3, 32, 224, 3, 2, 1, RELU6),
        square("f18 320->1280 @7", 320, 1280, 7, 1, 1, 0, RELU6),
        square("f17.conv2 960->320 @7", 960, 320, 7, 1, 1, 0, null),
        square("f12.conv2 576->96 @14", 576, 96, 14, 1, 1, 0, null),
        square("f13.conv0 96->576 @14", 96, 576, 14, 1, 1, 0, RELU6),
        square("f1.conv1 32->16 @112", 32, 16, 112, 1, 1, 0, null),
        square("f3.conv0 24->144 @56", 24, 144, 56, 1, 1, 0, RELU6),
        square("f4.conv0 24->144 @56", 24, 144, 56, 1, 1, 0, RELU6),
        new Layer("kws stem 1->64 10x4 s2", new long[] {1, 1, 49, 10}, new long[] {64, 1, 10, 4},
                new long[] {1, 64, 25, 5}, 1, new int[] {2, 2}, new int[] {5, 1}, RELU),
        new Layer("kws depthwise 64 3x3 @25x5", new long[] {1, 64, 25, 5}, new long[] {64, 1, 3, 3},
                new long[] {1, 64, 25, 5}, 64, new int[] {1, 1}, new int[] {1, 1}, RELU),
        new Layer("kws pointwise 64->64 @25x5", new long[] {1, 64, 25, 5}, new long[] {64, 64, 1, 1},
                new long[] {1, 64, 25, 5}, 1, new int[] {1, 1}, new int[] {0, 0}, RELU),
    };

    /** A convolution of c to m channels over a square side x side input with a square k x k kernel, group 1. */
    private static Layer square(String name, int c, int m, int side, int k, int stride, int pad,
                                ActivationEpilogue activation) {
        long out = (side + 2L * pad - k) / stride + 1;
        return new Layer(name, new long[] {1, c, side, side}, new long[] {m, c, k, k}, new long[] {1, m, out, out}, 1,
                new int[] {stride, stride}, new int[] {pad, pad}, activation);
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 31;
        String[] names = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        Layer[] layers = layers(names);
        Supplier<double[]> round = rounds(names);
        for (int warm = 0; warm < Integer.getInteger("bench.warmup", 30); warm++) round.get();
        double[][] t = new double[layers.length][rounds];
        for (int r = 0; r < rounds; r++) {
            double[] one = round.get();
            for (int i = 0; i < layers.length; i++) t[i][r] = one[i];
        }
        for (int i = 0; i < layers.length; i++) {
            Arrays.sort(t[i]);
            double us = t[i][rounds / 2];
            System.out.printf("%-28s %8.2f us  %6.1f GFLOP/s%n", layers[i].name(), us, 1e-3 * layers[i].flops() / us);
        }
    }

    /** The layers whose names start with one of {@code names} (all when none). */
    public static Layer[] layers(String... names) {
        if (names.length == 0) return LAYERS;
        return Arrays.stream(LAYERS).filter(l -> Arrays.stream(names).anyMatch(l.name()::startsWith)).toArray(Layer[]::new);
    }

    /**
     * One round per call: each layer of {@link #layers} run once on its own data (enough calls to
     * take a few milliseconds), microseconds of this thread's CPU per call. Public so that a driver
     * can load two builds in two class loaders and alternate their rounds.
     */
    public static Supplier<double[]> rounds(String... names) {
        Layer[] layers = layers(names);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Random rnd = new Random(1);
        Arena arena = Arena.ofAuto();
        Setup[] setups = new Setup[layers.length];
        for (int i = 0; i < layers.length; i++) {
            setups[i] = new Setup(layers[i], rnd, arena);
            if (Boolean.getBoolean("bench.verbose")) System.out.println(layers[i].name() + ": " + setups[i].kernel);
        }
        return () -> {
            double[] t = new double[setups.length];
            for (int i = 0; i < setups.length; i++) t[i] = setups[i].time(mx);
            return t;
        };
    }

    private static final class Setup {
        final KernelProvider.ConvKernel kernel;
        final MemorySegment x, w, b, y, scratch;
        final int reps;

        Setup(Layer l, Random rnd, Arena arena) {
            x = random(arena, rnd, count(l.x()));
            w = random(arena, rnd, count(l.w()));
            b = random(arena, rnd, l.w()[0]);
            y = arena.allocate(4L * count(l.y()), 64);
            try (Tensor wt = Tensor.of(w.toArray(ValueLayout.JAVA_FLOAT), l.w())) {
                var spec = new KernelProvider.ConvSpec(DType.FLOAT, l.x(), l.w(), l.y(), l.group(), l.strides(),
                        l.pads(), new int[] {1, 1}, wt, l.activation());
                kernel = JavaKernels.vector().conv(spec).orElseThrow(); // constant weights packed here
            }
            scratch = arena.allocate(kernel.scratchBytes() + 64, 64);
            reps = (int) Math.max(1, 20_000_000L / l.flops());
        }

        /** Microseconds of this thread's CPU per call. */
        double time(ThreadMXBean mx) {
            long t0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < reps; i++) kernel.run(x, w, b, y, scratch, Parallel.SERIAL);
            return (mx.getCurrentThreadCpuTime() - t0) / 1e3 / reps;
        }

        private static long count(long[] shape) {
            return Arrays.stream(shape).reduce(1, (a, c) -> a * c);
        }

        private static MemorySegment random(Arena arena, Random rnd, long n) {
            MemorySegment m = arena.allocate(4 * n, 64);
            for (long i = 0; i < n; i++) m.setAtIndex(ValueLayout.JAVA_FLOAT, i, rnd.nextFloat() - 0.5f);
            return m;
        }
    }
}
