package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

/**
 * How oneDNN's 8-bit and float convolutions of MobileNetV2 scale from 1 to 2 OpenMP threads:
 * per layer shape, the 1-thread and the 2-thread program of the same kernel (activations in
 * oneDNN's layout on both sides, as between two oneDNN convolutions in the model) run in turn,
 * and the least and median wall times of each are printed with the implementation oneDNN chose.
 * Not a test (the outcome depends on the machine and its load):
 * {@code java ... DnnlQ8ThreadsProbe [runs [filter]]}.
 */
public final class DnnlQ8ThreadsProbe {
    private DnnlQ8ThreadsProbe() { }

    /** Input channels, output channels, kernel side, stride, input side, group, ReLU6. */
    private record Layer(String name, int c, int m, int k, int s, int side, int group, boolean relu6) { }

    private static final Layer[] LAYERS = {
        new Layer("first 3->32 3x3/2", 3, 32, 3, 2, 224, 1, true),
        new Layer("dw 32@112", 32, 32, 3, 1, 112, 32, true),
        new Layer("pw 32->16@112", 32, 16, 1, 1, 112, 1, false),
        new Layer("pw 16->96@112", 16, 96, 1, 1, 112, 1, true),
        new Layer("dw 96@112/2", 96, 96, 3, 2, 112, 96, true),
        new Layer("pw 96->24@56", 96, 24, 1, 1, 56, 1, false),
        new Layer("pw 24->144@56", 24, 144, 1, 1, 56, 1, true),
        new Layer("dw 144@56", 144, 144, 3, 1, 56, 144, true),
        new Layer("pw 144->24@56", 144, 24, 1, 1, 56, 1, false),
        new Layer("dw 144@56/2", 144, 144, 3, 2, 56, 144, true),
        new Layer("pw 32->192@28", 32, 192, 1, 1, 28, 1, true),
        new Layer("dw 192@28", 192, 192, 3, 1, 28, 192, true),
        new Layer("pw 192->32@28", 192, 32, 1, 1, 28, 1, false),
        new Layer("pw 64->384@14", 64, 384, 1, 1, 14, 1, true),
        new Layer("dw 384@14", 384, 384, 3, 1, 14, 384, true),
        new Layer("pw 384->64@14", 384, 64, 1, 1, 14, 1, false),
        new Layer("dw 576@14", 576, 576, 3, 1, 14, 576, true),
        new Layer("pw 576->96@14", 576, 96, 1, 1, 14, 1, false),
        new Layer("dw 960@7", 960, 960, 3, 1, 7, 960, true),
        new Layer("pw 960->160@7", 960, 160, 1, 1, 7, 1, false),
        new Layer("pw 320->1280@7", 320, 1280, 1, 1, 7, 1, true),
    };

    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        String filter = args.length > 1 ? args[1] : "";
        Dnnl dnnl = Dnnl.get();
        System.out.printf("%-20s %-30s %-18s %-30s%n", "layer", "int8 us: 1t min/med, 2t min/med", "bands min/med",
                "float us: 1t min/med, 2t min/med");
        for (Layer l : LAYERS) {
            if (l.name().contains(filter)) probe(dnnl, l, runs);
        }
    }

    private static void probe(Dnnl dnnl, Layer l, int runs) {
        Random rnd = new Random(1);
        int out = (l.side() + 2 * (l.k() / 2) - l.k()) / l.s() + 1;
        long[] xs = {1, l.c(), l.side(), l.side()}, ws = {l.m(), l.c() / l.group(), l.k(), l.k()}, ys = {1, l.m(), out, out};
        int[] strides = {l.s(), l.s()}, pads = {l.k() / 2, l.k() / 2}, ones = {1, 1};
        int wn = (int) (ws[0] * ws[1] * ws[2] * ws[3]);
        byte[] wq = new byte[wn];
        float[] wf = new float[wn];
        for (int i = 0; i < wn; i++) {
            wq[i] = (byte) (rnd.nextInt(255) - 127);
            wf[i] = wq[i] / 127f;
        }
        int[] bias = new int[l.m()];
        float[] mult = new float[l.m()];
        for (int i = 0; i < l.m(); i++) {
            bias[i] = rnd.nextInt(20001) - 10000;
            mult[i] = 1e-4f * (1 + rnd.nextFloat());
        }
        try (Tensor w8 = Tensor.of(DType.INT8, wq, ws); Tensor w = Tensor.of(wf, ws); Arena arena = Arena.ofConfined()) {
            var geometry = new KernelProvider.ConvSpec(DType.UINT8, xs, ws, ys, l.group(), strides, pads, ones, w8, null);
            var qspec = new KernelProvider.Q8ConvSpec(geometry, false, 128, bias, mult, false, 0, 0, l.relu6() ? 100 : 255);
            DnnlQ8ConvKernel q0 = DnnlQ8ConvKernel.create(dnnl, qspec, true);
            var q = (DnnlQ8ConvKernel) q0.withInternalLayouts(q0.internalInputLayout() != null, q0.internalOutputLayout() != null);
            var fspec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, ys, l.group(), strides, pads, ones, w,
                    l.relu6() ? new ActivationEpilogue(F32UnaryOp.CLIP, 0f, 6f) : null);
            DnnlConvKernel f0 = DnnlConvKernel.create(dnnl, fspec, DnnlConvKernel.Layout.BLOCKED, true);
            var f = (DnnlConvKernel) f0.withInternalLayouts(f0.internalInputLayout() != null, f0.internalOutputLayout() != null);
            DnnlKernel.Built q1 = q.build(1), q2 = q.build(2), f1 = f.build(1), f2 = f.build(2);
            long xn = xs[1] * xs[2] * xs[3], yn = ys[1] * ys[2] * ys[3];
            String q8 = times(arena, q1, q2, bytes(q.internalInputLayout(), xn), bytes(q.internalOutputLayout(), yn), 0, 1, -1, runs);
            String f32 = times(arena, f1, f2, bytes(f.internalInputLayout(), 4 * xn), bytes(f.internalOutputLayout(), 4 * yn),
                    0, 2, 1, runs);
            var split = KernelSelection.planningWith(2, () -> q0.withInternalLayouts(true, true));
            String bands = split instanceof DnnlQ8RowSplitConv s ? bandTimes(arena, s, bytes(q.internalInputLayout(), xn),
                    bytes(q.internalOutputLayout(), yn), runs) : "(not split)";
            System.out.printf("%-20s %-30s %-18s %-30s %s | %s%n", l.name(), q8, bands, f32, q2.implementation(), f2.implementation());
        }
    }

    private static long bytes(KernelProvider.ConvKernel.Layout internal, long plainBytes) {
        return internal == null ? plainBytes : internal.bytes();
    }

    /**
     * Least and median microseconds of {@code one} and {@code two}, run in turn {@code runs} times
     * each; {@code xBuf}, {@code yBuf}, {@code biasBuf} (negative: none) are the programs' buffer numbers.
     */
    private static String times(Arena arena, DnnlKernel.Built one, DnnlKernel.Built two, long xBytes, long yBytes,
                                int xBuf, int yBuf, int biasBuf, int runs) {
        MemorySegment x = arena.allocate(xBytes, 64), y = arena.allocate(yBytes, 64);
        MemorySegment bias = arena.allocate(64 * 1024, 64);
        x.fill((byte) 77);
        long scratchBytes = Math.max(one.scratch().total(), two.scratch().total());
        MemorySegment scratch = arena.allocate(Math.max(64, scratchBytes), 64);
        long[] t1 = new long[runs], t2 = new long[runs];
        for (int i = 0; i < runs / 4; i++) { // warm-up
            run(one, x, y, bias, scratch, xBuf, yBuf, biasBuf);
            run(two, x, y, bias, scratch, xBuf, yBuf, biasBuf);
        }
        for (int i = 0; i < runs; i++) {
            long a = System.nanoTime();
            run(one, x, y, bias, scratch, xBuf, yBuf, biasBuf);
            long b = System.nanoTime();
            run(two, x, y, bias, scratch, xBuf, yBuf, biasBuf);
            long c = System.nanoTime();
            t1[i] = b - a;
            t2[i] = c - b;
        }
        Arrays.sort(t1);
        Arrays.sort(t2);
        return String.format("%6.1f/%6.1f %6.1f/%6.1f", t1[0] / 1e3, t1[runs / 2] / 1e3, t2[0] / 1e3, t2[runs / 2] / 1e3);
    }

    /** Least and median microseconds of the row bands on this thread and a spinning helper. */
    private static String bandTimes(Arena arena, DnnlQ8RowSplitConv split, long xBytes, long yBytes, int runs) {
        MemorySegment x = arena.allocate(xBytes, 64), y = arena.allocate(yBytes, 64);
        x.fill((byte) 77);
        long[] t = new long[runs];
        try (SpinningHelper helper = new SpinningHelper()) {
            for (int i = 0; i < runs / 4; i++) split.runBands(x, y, helper);
            for (int i = 0; i < runs; i++) {
                long a = System.nanoTime();
                split.runBands(x, y, helper);
                t[i] = System.nanoTime() - a;
            }
        }
        Arrays.sort(t);
        return String.format("%6.1f/%6.1f", t[0] / 1e3, t[runs / 2] / 1e3);
    }

    /** A second thread that spins for range 1 while the caller runs range 0 (a pool at its best: no wake-up). */
    private static final class SpinningHelper implements Parallel, AutoCloseable {
        private volatile RunContext.RangeBody job;
        private volatile int n;
        private volatile boolean done, closed;
        private final Thread thread = Thread.ofPlatform().daemon().start(this::loop);

        private void loop() {
            while (!closed) {
                RunContext.RangeBody b = job;
                if (b == null) {
                    Thread.onSpinWait();
                    continue;
                }
                b.run(1, n);
                job = null;
                done = true;
            }
        }

        @Override public void forRange(int n, RunContext.RangeBody body) {
            this.n = n;
            done = false;
            job = body;
            body.run(0, 1);
            while (!done) Thread.onSpinWait();
        }

        @Override public int threads() {
            return 2;
        }

        @Override public void close() {
            closed = true;
        }
    }

    private static void run(DnnlKernel.Built b, MemorySegment x, MemorySegment y, MemorySegment bias,
                            MemorySegment scratch, int xBuf, int yBuf, int biasBuf) {
        DnnlProgram.Slot slot = b.program().acquire();
        try {
            slot.address[xBuf] = x.address();
            slot.address[yBuf] = y.address();
            if (biasBuf >= 0) slot.address[biasBuf] = bias.address();
            b.scratch().assign(slot, scratch);
            b.program().run(slot);
        } finally {
            b.program().release(slot);
        }
    }
}
