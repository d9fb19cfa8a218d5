package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;

/**
 * MobileNetV2's costliest convolutions (Java kernels, 1 thread) on the kernel {@link JavaKernels}
 * picks, each timed as the median over rounds of the calling thread's CPU time per call, the layers
 * interleaved within each round (not a test, not JMH). Run from the repository root after
 * test-compile:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp runtime/target/classes:runtime/target/test-classes \
 *      dev.edgerun.runtime.kernels.F32ConvBench [rounds [name ...]]
 * </pre>
 * {@link #rounds} lets a driver alternate rounds of two builds loaded side by side.
 */
public final class F32ConvBench {
    private F32ConvBench() {}

    /** A layer: input channels, output channels, input side, kernel side, stride, pad, clamped to [0, 6]. */
    public record Layer(String name, int c, int m, int side, int k, int stride, int pad, boolean clip) {
        int outSide() {
            return (side + 2 * pad - k) / stride + 1;
        }

        long flops() {
            return 2L * c * m * k * k * outSide() * outSide();
        }
    }

    private static final Layer[] LAYERS = {
        new Layer("f2.conv0 16->96 @112", 16, 96, 112, 1, 1, 0, true),
        new Layer("f0 stem 3->32 3x3s2 @224", 3, 32, 224, 3, 2, 1, true),
        new Layer("f18 320->1280 @7", 320, 1280, 7, 1, 1, 0, true),
        new Layer("f17.conv2 960->320 @7", 960, 320, 7, 1, 1, 0, false),
        new Layer("f12.conv2 576->96 @14", 576, 96, 14, 1, 1, 0, false),
        new Layer("f13.conv0 96->576 @14", 96, 576, 14, 1, 1, 0, true),
        new Layer("f1.conv1 32->16 @112", 32, 16, 112, 1, 1, 0, false),
        new Layer("f3.conv0 24->144 @56", 24, 144, 56, 1, 1, 0, true),
        new Layer("f4.conv0 24->144 @56", 24, 144, 56, 1, 1, 0, true),
    };

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 31;
        String[] names = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        Layer[] layers = layers(names);
        Supplier<double[]> round = rounds(names);
        for (int warm = 0; warm < 30; warm++) round.get();
        double[][] t = new double[layers.length][rounds];
        for (int r = 0; r < rounds; r++) {
            double[] one = round.get();
            for (int i = 0; i < layers.length; i++) t[i][r] = one[i];
        }
        for (int i = 0; i < layers.length; i++) {
            Arrays.sort(t[i]);
            double us = t[i][rounds / 2];
            System.out.printf("%-28s %8.1f us  %6.1f GFLOP/s%n", layers[i].name(), us, 1e-3 * layers[i].flops() / us);
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
            int o = l.outSide();
            long[] xs = {1, l.c(), l.side(), l.side()}, ws = {l.m(), l.c(), l.k(), l.k()}, ys = {1, l.m(), o, o};
            x = random(arena, rnd, (long) l.c() * l.side() * l.side());
            w = random(arena, rnd, (long) l.m() * l.c() * l.k() * l.k());
            b = random(arena, rnd, l.m());
            y = arena.allocate(4L * l.m() * o * o, 64);
            int[] s = {l.stride(), l.stride()}, p = {l.pad(), l.pad()}, one = {1, 1};
            try (Tensor wt = Tensor.of(w.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT), ws)) {
                var spec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, ys, 1, s, p, one, wt,
                        l.clip() ? new ActivationEpilogue(F32UnaryOp.CLIP, 0f, 6f) : null);
                var species = F32Gemm.preferred().species();
                kernel = F32Winograd.preferred(spec, species) ? new F32Winograd(spec, new F32Gemm(species))
                        : new F32ConvKernel(spec, new F32Gemm(species)); // constant weights packed here
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

        private static MemorySegment random(Arena arena, Random rnd, long n) {
            MemorySegment m = arena.allocate(4 * n, 64);
            for (long i = 0; i < n; i++) m.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, rnd.nextFloat() - 0.5f);
            return m;
        }
    }
}
