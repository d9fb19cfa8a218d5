package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.ops.RunContext.RangeBody;
import java.util.Arrays;

/**
 * Measures what spinning before parking saves a run of back-to-back parallel regions: pools with
 * different spin bounds run the same synthetic "run" (regions of {@code regionMicros} split in 8
 * parts, with {@code gapMicros} of serial work between them), interleaved round by round in one
 * process, so that the machine's load falls on every bound alike. Not a test (no assertion):
 * {@code java -cp ... dev.edgerun.runtime.engine.WorkerPoolSpinProbe [regions regionMicros gapMicros rounds]}.
 */
public final class WorkerPoolSpinProbe {
    private static volatile double sink;

    public static void main(String[] args) {
        int regions = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int regionMicros = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        int gapMicros = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        long[] spins = {0, 20, 50, 100};
        WorkerPool[] pools = new WorkerPool[spins.length];
        for (int i = 0; i < spins.length; i++) pools[i] = new WorkerPool(2, spins[i] * 1000);
        long partNanos = regionMicros * 1000L / 8 * 2; // 8 parts on 2 threads: a region lasts about regionMicros
        RangeBody body = (from, to) -> busy((to - from) * partNanos);
        long[][] medians = new long[spins.length][rounds];
        int runsPerRound = 30;
        for (int r = -2; r < rounds; r++) { // two warm-up rounds
            for (int i = 0; i < pools.length; i++) {
                long[] times = new long[runsPerRound];
                for (int k = 0; k < runsPerRound; k++) {
                    long t0 = System.nanoTime();
                    for (int g = 0; g < regions; g++) {
                        pools[i].parallelFor(8, body);
                        busy(gapMicros * 1000L);
                    }
                    times[k] = System.nanoTime() - t0;
                }
                Arrays.sort(times);
                if (r >= 0) medians[i][r] = times[runsPerRound / 2];
            }
        }
        for (WorkerPool p : pools) p.close();
        System.out.printf("regions %d x %d us, gaps %d us, load %s%n", regions, regionMicros, gapMicros, load());
        for (int i = 0; i < spins.length; i++) {
            long[] m = medians[i].clone();
            Arrays.sort(m);
            double ratio = 0;
            for (int r = 0; r < rounds; r++) ratio += Math.log((double) medians[i][r] / medians[0][r]);
            System.out.printf("spin %3d us: median of round medians %.3f ms, geometric mean ratio to no spin %.3f%n",
                    spins[i], m[rounds / 2] / 1e6, Math.exp(ratio / rounds));
        }
    }

    private static void busy(long nanos) {
        long end = System.nanoTime() + nanos;
        double x = 1;
        while (System.nanoTime() < end) x = x * 1.0000001 + 1e-9;
        sink = x;
    }

    private static String load() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
