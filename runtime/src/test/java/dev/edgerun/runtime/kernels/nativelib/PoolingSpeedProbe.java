package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.F32Pool;
import dev.edgerun.runtime.kernels.F32PoolRows;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.kernels.nativelib.DnnlPoolKernel.Algorithm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Steady-state time of the pools of the reference models, single thread: the Java kernel the
 * operator runs (warmed until C2 compiled it) against oneDNN's pooling on plain NCHW and on
 * 16-channel blocks, interleaved in rounds; prints the median over rounds of each round's mean.
 * Not a test (the outcome depends on the machine): {@code java ... PoolingSpeedProbe [rounds]}.
 */
public final class PoolingSpeedProbe {
    private record Case(String name, Algorithm algorithm, long[] x, int k, int s, int p) { }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        Case[] cases = {
            new Case("resnet18 MaxPool", Algorithm.MAX, new long[] {1, 64, 112, 112}, 3, 2, 1),
            new Case("resnet18 GAP", Algorithm.AVERAGE_EXCLUDING_PADS, new long[] {1, 512, 7, 7}, 7, 1, 0),
            new Case("mobilenet_v2 GAP", Algorithm.AVERAGE_EXCLUDING_PADS, new long[] {1, 1280, 7, 7}, 7, 1, 0),
            new Case("kws_dscnn GAP", Algorithm.AVERAGE_EXCLUDING_PADS, new long[] {1, 64, 25, 5}, -1, 1, 0),
            new Case("conv_autoencoder MaxPool 1", Algorithm.MAX, new long[] {1, 16, 64, 64}, 2, 2, 0),
            new Case("conv_autoencoder MaxPool 2", Algorithm.MAX, new long[] {1, 32, 32, 32}, 2, 2, 0),
        };
        for (Case c : cases) probe(c, rounds);
    }

    private static void probe(Case c, int rounds) {
        long[] x = c.x;
        boolean global = c.k != 2 && c.k != 3;
        long kh = global ? x[2] : c.k, kw = global ? x[3] : c.k;
        long oh = (x[2] + 2L * c.p - kh) / c.s + 1, ow = (x[3] + 2L * c.p - kw) / c.s + 1;
        long[] y = {x[0], x[1], oh, ow};
        long[] pads = {c.p, c.p};
        var window = new DnnlPoolKernel.Window(c.algorithm, x, y, new long[] {kh, kw}, new long[] {c.s, c.s},
                new long[] {1, 1}, pads, pads);
        DnnlPoolKernel plain = DnnlPoolKernel.plain(window).orElseThrow();
        DnnlPoolKernel blocked = plain.withBlocks(true, true).orElseThrow();
        int planes = (int) (x[0] * x[1]);
        int size = (int) (x[2] * x[3]);
        F32Pool pool = new F32Pool(new int[] {(int) x[2], (int) x[3]}, new int[] {(int) kh, (int) kw}, new int[] {c.s, c.s},
                new int[] {c.p, c.p}, new int[] {c.p, c.p}, new int[] {1, 1}, new int[] {(int) oh, (int) ow});
        F32PoolRows rows = global ? null : pool.separable(false);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocate(blocked.blockedInputLayout().bytes(), 64);
            MemorySegment ys = arena.allocate(blocked.blockedOutputLayout().bytes(), 64);
            MemorySegment scratch = arena.allocate(Math.max(64, Math.max(plain.scratchBytes(), blocked.scratchBytes())), 64);
            MemorySegment bufs = arena.allocate(Math.max(64, rows == null ? 0 : rows.bufferBytes()), 64);
            Runnable java = global
                    ? () -> F32Pool.global(Vectors.F32, c.algorithm == Algorithm.MAX, xs, ys, size, 0, planes)
                    : c.algorithm == Algorithm.MAX
                    ? () -> rows.max(Vectors.F32, xs, ys, bufs, 0, planes)
                    : () -> rows.average(Vectors.F32, xs, ys, bufs, 0, planes);
            Runnable[] kernels = {java, () -> plain.run(xs, ys, scratch, 1), () -> blocked.run(xs, ys, scratch, 1)};
            for (int i = 0; i < 3000; i++) for (Runnable k : kernels) k.run(); // C2 for the Java kernel
            int reps = (int) Math.max(20, Math.min(2000, 2_000_000 / (x[1] * x[2] * x[3])));
            double[][] us = new double[kernels.length][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < kernels.length; k++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) kernels[k].run();
                    us[k][r] = (System.nanoTime() - t0) / 1e3 / reps;
                }
            }
            System.out.printf("%-28s %s: Java %8.2f us, oneDNN plain %8.2f us (%s), blocked %8.2f us%n", c.name,
                    Arrays.toString(x), median(us[0]), median(us[1]), plain.toString().split(" ")[2], median(us[2]));
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
