package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;

/**
 * MobileNetV2's convolutions (224x224 input) on the Java kernels, float against 8-bit, single
 * thread, interleaved in one process (not a test, not JMH): per layer shape, the least over rounds
 * of the calling thread's CPU time per call (on a shared virtual machine a thread's CPU time
 * includes time stolen by other guests, which shifts medians at load 10 and more by several times), each round running the float kernel (ReLU6 or no
 * epilogue, as the model) and the 8-bit one (uint8 activations, int8 weights, as the static
 * quantizer writes them) in turn; the last line weighs each shape by its count in the model. Run
 * from the repository root after test-compile:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp runtime/target/classes:runtime/target/test-classes \
 *      dev.edgerun.runtime.kernels.Q8MobileNetBench [rounds [filter]]
 * </pre>
 */
public final class Q8MobileNetBench {
    private Q8MobileNetBench() {}

    private static final long WARM_NANOS = Long.getLong("bench.warmMillis", 1000) * 1_000_000;

    /** One layer shape: input channels, output channels, kernel side, stride, input side, group, ReLU6, count in the model. */
    private record Layer(String name, int c, int m, int k, int s, int side, int group, boolean relu6, int count) {}

    private static final Layer[] LAYERS = {
        new Layer("first 3->32 3x3/2", 3, 32, 3, 2, 224, 1, true, 1),
        new Layer("dw 32@112", 32, 32, 3, 1, 112, 32, true, 1),
        new Layer("pw 32->16@112", 32, 16, 1, 1, 112, 1, false, 1),
        new Layer("pw 16->96@112", 16, 96, 1, 1, 112, 1, true, 1),
        new Layer("dw 96@112/2", 96, 96, 3, 2, 112, 96, true, 1),
        new Layer("pw 96->24@56", 96, 24, 1, 1, 56, 1, false, 1),
        new Layer("pw 24->144@56", 24, 144, 1, 1, 56, 1, true, 2),
        new Layer("dw 144@56", 144, 144, 3, 1, 56, 144, true, 1),
        new Layer("pw 144->24@56", 144, 24, 1, 1, 56, 1, false, 1),
        new Layer("dw 144@56/2", 144, 144, 3, 2, 56, 144, true, 1),
        new Layer("pw 144->32@28", 144, 32, 1, 1, 28, 1, false, 1),
        new Layer("pw 32->192@28", 32, 192, 1, 1, 28, 1, true, 3),
        new Layer("dw 192@28", 192, 192, 3, 1, 28, 192, true, 2),
        new Layer("pw 192->32@28", 192, 32, 1, 1, 28, 1, false, 2),
        new Layer("dw 192@28/2", 192, 192, 3, 2, 28, 192, true, 1),
        new Layer("pw 192->64@14", 192, 64, 1, 1, 14, 1, false, 1),
        new Layer("pw 64->384@14", 64, 384, 1, 1, 14, 1, true, 4),
        new Layer("dw 384@14", 384, 384, 3, 1, 14, 384, true, 4),
        new Layer("pw 384->64@14", 384, 64, 1, 1, 14, 1, false, 3),
        new Layer("pw 384->96@14", 384, 96, 1, 1, 14, 1, false, 1),
        new Layer("pw 96->576@14", 96, 576, 1, 1, 14, 1, true, 3),
        new Layer("dw 576@14", 576, 576, 3, 1, 14, 576, true, 2),
        new Layer("pw 576->96@14", 576, 96, 1, 1, 14, 1, false, 2),
        new Layer("dw 576@14/2", 576, 576, 3, 2, 14, 576, true, 1),
        new Layer("pw 576->160@7", 576, 160, 1, 1, 7, 1, false, 1),
        new Layer("pw 160->960@7", 160, 960, 1, 1, 7, 1, true, 3),
        new Layer("dw 960@7", 960, 960, 3, 1, 7, 960, true, 3),
        new Layer("pw 960->160@7", 960, 160, 1, 1, 7, 1, false, 2),
        new Layer("pw 960->320@7", 960, 320, 1, 1, 7, 1, false, 1),
        new Layer("pw 320->1280@7", 320, 1280, 1, 1, 7, 1, true, 1),
    };

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 21;
        String filter = args.length > 1 ? args[1] : "";
        var species = F32Gemm.preferred().species();
        JavaKernels kernels = JavaKernels.vector(species);
        double totalF = 0, totalQ = 0;
        for (Layer l : LAYERS) {
            if (!l.name().contains(filter)) continue;
            double[] t = compare(kernels, l, rounds);
            totalF += t[0] * l.count();
            totalQ += t[1] * l.count();
        }
        System.out.printf("weighted total: float %.1f us, int8 %.1f us, int8/float %.3f%n", totalF, totalQ, totalQ / totalF);
    }

    /** The least times (us) of the float and the 8-bit kernel on one layer shape. */
    private static double[] compare(JavaKernels kernels, Layer l, int rounds) {
        Random rnd = new Random(1);
        int out = (l.side() + 2 * (l.k() / 2) - l.k()) / l.s() + 1;
        long[] xs = {1, l.c(), l.side(), l.side()}, ws = {l.m(), l.c() / l.group(), l.k(), l.k()}, ys = {1, l.m(), out, out};
        int[] strides = {l.s(), l.s()}, pads = {l.k() / 2, l.k() / 2}, ones = {1, 1};
        int xn = (int) (xs[1] * xs[2] * xs[3]), wn = (int) (ws[0] * ws[1] * ws[2] * ws[3]), yn = (int) (ys[1] * ys[2] * ys[3]);
        byte[] xq = new byte[xn], wq = new byte[wn];
        for (int i = 0; i < xn; i++) xq[i] = (byte) rnd.nextInt(256);
        for (int i = 0; i < wn; i++) wq[i] = (byte) (rnd.nextInt(255) - 127);
        int[] bias = new int[l.m()];
        float[] mult = new float[l.m()];
        for (int i = 0; i < l.m(); i++) {
            bias[i] = rnd.nextInt(20001) - 10000;
            mult[i] = 1e-4f * (1 + rnd.nextFloat());
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (Tensor x = Tensor.of(F32GemmTest.random(rnd, xn), xs); Tensor w = Tensor.of(F32GemmTest.random(rnd, wn), ws);
             Tensor b = Tensor.of(F32GemmTest.random(rnd, l.m()), l.m()); Tensor y = Tensor.allocate(DType.FLOAT, ys);
             Tensor x8 = Tensor.of(DType.UINT8, xq, xs); Tensor w8 = Tensor.of(DType.INT8, wq, ws);
             Tensor y8 = Tensor.allocate(DType.UINT8, ys); Arena arena = Arena.ofConfined()) {
            F32GemmEpilogue epilogue = l.relu6() ? new ActivationEpilogue(F32UnaryOp.CLIP, 0f, 6f) : null;
            var fspec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, ys, l.group(), strides, pads, ones, w, epilogue);
            var geometry = new KernelProvider.ConvSpec(DType.UINT8, xs, ws, ys, l.group(), strides, pads, ones, w8, null);
            var qspec = new KernelProvider.Q8ConvSpec(geometry, false, 128, bias, mult, false, 0, 0, l.relu6() ? 100 : 255);
            KernelProvider.ConvKernel f = kernels.conv(fspec).orElseThrow();
            KernelProvider.Q8ConvKernel q = kernels.q8conv(qspec).orElseThrow();
            // the kernel the selection replaced, timed alongside: Q8ConvGemm where another took a non-depthwise layer
            KernelProvider.Q8ConvKernel old = q instanceof Q8ConvGemm || l.group() > 1 ? null : new Q8ConvGemm(qspec, F32Gemm.preferred().species());
            MemorySegment scratch = arena.allocate(Math.max(f.scratchBytes(), Math.max(q.scratchBytes(), old == null ? 0 : old.scratchBytes())) + 64, 64);
            long macs = (long) yn * ws[1] * ws[2] * ws[3];
            int reps = (int) Math.max(1, 4_000_000L / macs);
            double[] tf = new double[rounds], tq = new double[rounds], to = new double[rounds];
            // a second of warm-up each: a new layer shape can send C2 back to recompiling the kernels' methods
            for (long end = System.nanoTime() + WARM_NANOS; System.nanoTime() < end; ) {
                f.run(x.data(), w.data(), b.data(), y.data(), scratch, Parallel.SERIAL);
                q.run(x8.data(), y8.data(), scratch, Parallel.SERIAL);
                if (old != null) old.run(x8.data(), y8.data(), scratch, Parallel.SERIAL);
            }
            if (old != null) sameBytes(q, old, x8, y8, scratch, l);
            for (int r = 0; r < rounds; r++) {
                long t0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < reps; i++) f.run(x.data(), w.data(), b.data(), y.data(), scratch, Parallel.SERIAL);
                long t1 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < reps; i++) q.run(x8.data(), y8.data(), scratch, Parallel.SERIAL);
                long t2 = mx.getCurrentThreadCpuTime();
                for (int i = 0; old != null && i < reps; i++) old.run(x8.data(), y8.data(), scratch, Parallel.SERIAL);
                long t3 = mx.getCurrentThreadCpuTime();
                tf[r] = (t1 - t0) / 1e3 / reps;
                tq[r] = (t2 - t1) / 1e3 / reps;
                to[r] = (t3 - t2) / 1e3 / reps;
            }
            double mf = least(tf), mq = least(tq);
            String replaced = old == null ? "" : String.format("  (Q8ConvGemm %8.2f us, %.2f)", least(to), least(to) / mf);
            System.out.printf("%-22s x%d  float %8.2f us  int8 %8.2f us  int8/float %.2f%s  %s | %s%n", l.name(), l.count(), mf, mq,
                    mq / mf, replaced, simpleName(f), simpleName(q));
            return new double[] {mf, mq};
        }
    }

    /** Stops the bench when the two 8-bit kernels disagree on any output byte. */
    private static void sameBytes(KernelProvider.Q8ConvKernel a, KernelProvider.Q8ConvKernel b, Tensor x8, Tensor y8,
                                  MemorySegment scratch, Layer l) {
        a.run(x8.data(), y8.data(), scratch, Parallel.SERIAL);
        byte[] first = y8.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        b.run(x8.data(), y8.data(), scratch, Parallel.SERIAL);
        if (!Arrays.equals(first, y8.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))) {
            throw new AssertionError(l.name() + ": " + a + " and " + b + " differ");
        }
    }

    private static String simpleName(Object k) {
        String s = k.toString();
        int cut = s.indexOf(' ');
        return k.getClass().getSimpleName() + (cut > 0 && s.startsWith(k.getClass().getSimpleName()) ? s.substring(k.getClass().getSimpleName().length(), cut) : "");
    }

    private static double least(double[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }
}
