package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Which thread count {@link DnnlThreadChoice} settles on for a 3x3 convolution at 2 session
 * threads, with the cores free and with {@code busy} threads of this process spinning beside it
 * (a machine whose second core is taken): prints the share of 2-thread choices over the trial
 * rounds of 3000 runs and the median run time. Not a test (the outcome depends on the machine):
 * {@code java ... DnnlThreadChoiceProbe [channels [busyThreads]]}, with or without
 * {@code -Dedgerun.onednn.spinCount=N} to see the OpenMP spin count's effect on the choice.
 */
public final class DnnlThreadChoiceProbe {
    private static volatile boolean stop;
    private static volatile double sink;

    public static void main(String[] args) throws Exception {
        int channels = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int busy = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        Thread[] hogs = new Thread[busy];
        for (int i = 0; i < busy; i++) {
            hogs[i] = new Thread(DnnlThreadChoiceProbe::spin, "hog-" + i);
            hogs[i].setDaemon(true);
            hogs[i].start();
        }
        long[] xShape = {1, channels, 28, 28}, wShape = {channels, channels, 3, 3};
        try (Tensor w = Tensor.allocate(DType.FLOAT, wShape); Arena arena = Arena.ofConfined()) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, xShape, wShape, xShape, 1, new int[] {1, 1},
                    new int[] {1, 1}, new int[] {1, 1}, w, null);
            DnnlConvKernel k = KernelSelection.planningWith(2,
                    () -> DnnlConvKernel.create(Dnnl.get(), spec, DnnlConvKernel.Layout.BLOCKED, false));
            MemorySegment x = arena.allocate(4L * channels * 28 * 28, 64), bias = arena.allocate(4L * channels, 64);
            MemorySegment y = arena.allocate(x.byteSize(), 64);
            MemorySegment scratch = arena.allocate(Math.max(k.scratchBytes(), 64), 64);
            var field = DnnlKernel.class.getDeclaredField("threadChoice");
            field.setAccessible(true);
            DnnlThreadChoice choice = (DnnlThreadChoice) field.get(k);
            int runs = 3000, decisions = 0, many = 0;
            long[] nanos = new long[runs];
            boolean wasSampling = false;
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                k.run(x, null, bias, y, scratch, TWO_THREADS);
                nanos[i] = System.nanoTime() - t0;
                boolean sampling = choice.sampling();
                if (wasSampling && !sampling) {
                    decisions++;
                    if (choice.choseMany()) many++;
                }
                wasSampling = sampling;
            }
            Arrays.sort(nanos);
            System.out.printf("conv %d ch 28x28 (%.1f MFLOP), %d busy threads, spin count %s: 2 threads chosen in %d of %d"
                    + " rounds, last choice %s, median %.1f us%n", channels, 2.0 * channels * channels * 9 * 28 * 28 / 1e6,
                    busy, System.getProperty("edgerun.onednn.spinCount", "auto"), many, decisions,
                    choice.choseMany() ? "2 threads" : "1 thread", nanos[runs / 2] / 1e3);
        } finally {
            stop = true;
        }
    }

    private static void spin() {
        double v = 1;
        while (!stop) v = v * 1.0000001 + 1e-9;
        sink = v;
    }

    private static final Parallel TWO_THREADS = new Parallel() {
        @Override public void forRange(int n, RunContext.RangeBody body) {
            if (n > 0) body.run(0, n);
        }
        @Override public int threads() {
            return 2;
        }
    };
}
