package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.nativelib.OneDnnKernels;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

/**
 * MobileNetV2's 8-bit convolutions between two others on oneDNN: the whole convolution on one
 * thread against its row bands on a session's {@link WorkerPool} of 2 threads (its spin policy as
 * configured: {@code -Dedgerun.spinMicros}), alternated; least and median µs of each. Not a test.
 * Run with {@code -Dedgerun.onednn.adaptiveThreads=off} so that every pool run splits:
 * {@code java ... Q8RowSplitPoolProbe [runs]}.
 */
public final class Q8RowSplitPoolProbe {
    private Q8RowSplitPoolProbe() { }

    /** Input channels, output channels, kernel side, stride, input side, group. */
    private record Layer(String name, int c, int m, int k, int s, int side, int group) { }

    private static final Layer[] LAYERS = {
        new Layer("pw 16->96@112", 16, 96, 1, 1, 112, 1),
        new Layer("dw 144@56", 144, 144, 3, 1, 56, 144),
        new Layer("pw 144->24@56", 144, 24, 1, 1, 56, 1),
        new Layer("dw 192@28", 192, 192, 3, 1, 28, 192),
        new Layer("dw 384@14", 384, 384, 3, 1, 14, 384),
        new Layer("pw 384->64@14", 384, 64, 1, 1, 14, 1),
        new Layer("dw 960@7", 960, 960, 3, 1, 7, 960),
    };

    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        System.setProperty(KernelSelection.PROPERTY, "onednn");
        try (WorkerPool pool = new WorkerPool(2)) {
            Parallel par = new Parallel() {
                @Override public void forRange(int n, RunContext.RangeBody body) {
                    pool.parallelFor(n, body);
                }
                @Override public int threads() {
                    return 2;
                }
            };
            for (Layer l : LAYERS) probe(l, par, runs);
        }
    }

    private static void probe(Layer l, Parallel par, int runs) {
        Random rnd = new Random(1);
        int out = (l.side() + 2 * (l.k() / 2) - l.k()) / l.s() + 1;
        long[] xs = {1, l.c(), l.side(), l.side()}, ws = {l.m(), l.c() / l.group(), l.k(), l.k()}, ys = {1, l.m(), out, out};
        byte[] wq = new byte[(int) (ws[0] * ws[1] * ws[2] * ws[3])];
        for (int i = 0; i < wq.length; i++) wq[i] = (byte) (rnd.nextInt(255) - 127);
        int[] bias = new int[l.m()];
        float[] mult = new float[l.m()];
        Arrays.fill(mult, 1e-4f);
        try (Tensor w = Tensor.of(DType.INT8, wq, ws); Arena arena = Arena.ofConfined()) {
            var g = new KernelProvider.ConvSpec(DType.UINT8, xs, ws, ys, l.group(), new int[] {l.s(), l.s()},
                    new int[] {l.k() / 2, l.k() / 2}, new int[] {1, 1}, w, null);
            var spec = new KernelProvider.Q8ConvSpec(g, false, 128, bias, mult, false, 0, 0, 255);
            KernelProvider.Q8ConvKernel k = KernelSelection.planningWith(2,
                    () -> new OneDnnKernels().q8conv(spec).orElseThrow().withInternalLayouts(true, true));
            MemorySegment x = arena.allocate(k.internalInputLayout().bytes(), 64);
            MemorySegment y = arena.allocate(k.internalOutputLayout().bytes(), 64);
            MemorySegment scratch = arena.allocate(k.scratchBytes() + 64, 64);
            x.fill((byte) 77);
            long[] whole = new long[runs], split = new long[runs];
            for (int i = 0; i < runs / 4; i++) {
                k.run(x, y, scratch, Parallel.SERIAL);
                k.run(x, y, scratch, par);
            }
            for (int i = 0; i < runs; i++) {
                long a = System.nanoTime();
                k.run(x, y, scratch, Parallel.SERIAL);
                long b = System.nanoTime();
                k.run(x, y, scratch, par);
                long c = System.nanoTime();
                whole[i] = b - a;
                split[i] = c - b;
            }
            Arrays.sort(whole);
            Arrays.sort(split);
            System.out.printf("%-16s whole 1 thread %7.1f / %7.1f us, bands on the pool %7.1f / %7.1f us  %s%n", l.name(),
                    whole[0] / 1e3, whole[runs / 2] / 1e3, split[0] / 1e3, split[runs / 2] / 1e3, k);
        }
    }
}
