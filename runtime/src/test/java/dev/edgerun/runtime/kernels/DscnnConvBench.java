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
 * The convolutions of the DS-CNN keyword spotter (kws_dscnn) on the Java kernel {@link JavaKernels}
 * picks, 1 thread: the median over rounds of this thread's CPU time per call, the layers
 * interleaved within each round (not a test, not JMH). Run from the repository root after test-compile:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp runtime/target/classes:runtime/target/test-classes \
 *      [-Dbench.only=NAME_PREFIX] dev.edgerun.runtime.kernels.DscnnConvBench [rounds]
 * </pre>
 */
public final class DscnnConvBench {
    private DscnnConvBench() {}

    /** A layer: X, W and Y shapes, group, strides, pads (begin), Relu fused. */
    public record Layer(String name, long[] x, long[] w, long[] y, int group, int[] strides, int[] pads) {
        long flops() {
            return 2L * w[0] * w[1] * w[2] * w[3] * y[2] * y[3];
        }
    }

    static final Layer[] LAYERS = {
        new Layer("stem 1->64 10x4 s2", new long[] {1, 1, 49, 10}, new long[] {64, 1, 10, 4}, new long[] {1, 64, 25, 5},
                1, new int[] {2, 2}, new int[] {5, 1}),
        new Layer("depthwise 64 3x3 @25x5", new long[] {1, 64, 25, 5}, new long[] {64, 1, 3, 3}, new long[] {1, 64, 25, 5},
                64, new int[] {1, 1}, new int[] {1, 1}),
        new Layer("pointwise 64->64 @25x5", new long[] {1, 64, 25, 5}, new long[] {64, 64, 1, 1}, new long[] {1, 64, 25, 5},
                1, new int[] {1, 1}, new int[] {0, 0}),
    };

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 51;
        Supplier<double[]> round = rounds(System.getProperty("bench.only", ""));
        for (int warm = 0; warm < 200; warm++) round.get();
        Layer[] layers = layers(System.getProperty("bench.only", ""));
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

    /** The layers whose names start with {@code prefix}. */
    public static Layer[] layers(String prefix) {
        return Arrays.stream(LAYERS).filter(l -> l.name().startsWith(prefix)).toArray(Layer[]::new);
    }

    /**
     * One round per call: each layer of {@link #layers} run on its own data (enough calls to take
     * a few milliseconds), microseconds of this thread's CPU per call. Public so that a driver can
     * load two builds in two class loaders and alternate their rounds.
     */
    public static Supplier<double[]> rounds(String prefix) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Random rnd = new Random(1);
        Arena arena = Arena.ofAuto();
        Setup[] setups = Arrays.stream(layers(prefix)).map(l -> new Setup(l, rnd, arena)).toArray(Setup[]::new);
        if (Boolean.getBoolean("bench.verbose")) for (Setup s : setups) System.out.println(s.layer.name() + ": " + s.kernel);
        return () -> {
            double[] t = new double[setups.length];
            for (int i = 0; i < setups.length; i++) t[i] = setups[i].time(mx);
            return t;
        };
    }

    private static final class Setup {
        final Layer layer;
        final KernelProvider.ConvKernel kernel;
        final MemorySegment x, w, b, y, scratch;
        final int reps;

        Setup(Layer l, Random rnd, Arena arena) {
            layer = l;
            x = random(arena, rnd, count(l.x()));
            w = random(arena, rnd, count(l.w()));
            b = random(arena, rnd, l.w()[0]);
            y = arena.allocate(4L * count(l.y()), 64);
            try (Tensor wt = Tensor.of(w.toArray(ValueLayout.JAVA_FLOAT), l.w())) {
                var spec = new KernelProvider.ConvSpec(DType.FLOAT, l.x(), l.w(), l.y(), l.group(), l.strides(),
                        l.pads(), new int[] {1, 1}, wt, new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f));
                kernel = JavaKernels.vector().conv(spec).orElseThrow();
            }
            scratch = arena.allocate(kernel.scratchBytes() + 64, 64);
            reps = (int) Math.max(1, 20_000_000L / l.flops());
        }

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
