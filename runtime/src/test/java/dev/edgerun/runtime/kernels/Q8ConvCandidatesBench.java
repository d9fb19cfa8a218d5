package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * One square 2-D convolution shape on the Java kernels, single thread, interleaved in one process
 * (not a test, not JMH): the float kernel {@link JavaKernels#conv} chooses, and every 8-bit kernel
 * that takes the shape (the one {@link JavaKernels#q8conv} chooses first, then {@link Q8ConvGemm},
 * {@link Q8ConvViaF32}, {@link Q8PointwiseDirect}, {@link Q8PointwiseImplicit}, {@link Q8ImplicitConv},
 * {@link Q8PointwiseFewPositionsBytes} and {@link Q8PointwiseFewPositions} where they support it), each the least over rounds of the calling thread's CPU time per call; the 8-bit kernels must
 * agree on every output byte. {@code -Xbatch} compiles before the timed rounds, which a loaded
 * machine otherwise delays past a short warm-up. From the repository root after test-compile:
 * <pre>
 * java --add-modules jdk.incubator.vector -Xbatch -cp runtime/target/classes:runtime/target/test-classes \
 *      dev.edgerun.runtime.kernels.Q8ConvCandidatesBench rounds inChannels outChannels kernel stride side pad relu6
 * </pre>
 * (ResNet-18's first layer: {@code 15 3 64 7 2 224 3 true}.)
 */
public final class Q8ConvCandidatesBench {
    private Q8ConvCandidatesBench() {}

    public static void main(String[] a) {
        int rounds = Integer.parseInt(a[0]);
        int c = Integer.parseInt(a[1]), m = Integer.parseInt(a[2]), k = Integer.parseInt(a[3]), s = Integer.parseInt(a[4]);
        int side = Integer.parseInt(a[5]), pad = Integer.parseInt(a[6]);
        boolean relu6 = Boolean.parseBoolean(a[7]);
        var species = F32Gemm.preferred().species();
        JavaKernels kernels = JavaKernels.vector(species);
        Random rnd = new Random(1);
        int out = (side + 2 * pad - k) / s + 1;
        long[] xs = {1, c, side, side}, ws = {m, c, k, k}, ys = {1, m, out, out};
        int[] strides = {s, s}, pads = {pad, pad}, ones = {1, 1};
        int xn = c * side * side, wn = m * c * k * k;
        byte[] xq = new byte[xn], wq = new byte[wn];
        for (int i = 0; i < xn; i++) xq[i] = (byte) rnd.nextInt(256);
        for (int i = 0; i < wn; i++) wq[i] = (byte) (rnd.nextInt(255) - 127);
        int[] bias = new int[m];
        float[] mult = new float[m];
        for (int i = 0; i < m; i++) {
            bias[i] = rnd.nextInt(20001) - 10000;
            mult[i] = 1e-4f * (1 + rnd.nextFloat());
        }
        try (Tensor x = Tensor.of(F32GemmTest.random(rnd, xn), xs); Tensor w = Tensor.of(F32GemmTest.random(rnd, wn), ws);
             Tensor b = Tensor.of(F32GemmTest.random(rnd, m), m); Tensor y = Tensor.allocate(DType.FLOAT, ys);
             Tensor x8 = Tensor.of(DType.UINT8, xq, xs); Tensor w8 = Tensor.of(DType.INT8, wq, ws);
             Tensor y8 = Tensor.allocate(DType.UINT8, ys); Arena arena = Arena.ofConfined()) {
            F32GemmEpilogue epilogue = relu6 ? new ActivationEpilogue(F32UnaryOp.CLIP, 0f, 6f) : null;
            var fspec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, ys, 1, strides, pads, ones, w, epilogue);
            var geometry = new KernelProvider.ConvSpec(DType.UINT8, xs, ws, ys, 1, strides, pads, ones, w8, null);
            var qspec = new KernelProvider.Q8ConvSpec(geometry, false, 128, bias, mult, false, 0, 0, relu6 ? 100 : 255);
            KernelProvider.ConvKernel f = kernels.conv(fspec).orElseThrow();
            List<KernelProvider.Q8ConvKernel> qs = candidates(kernels, qspec, species);
            long scratchBytes = f.scratchBytes();
            for (var q : qs) scratchBytes = Math.max(scratchBytes, q.scratchBytes());
            MemorySegment scratch = arena.allocate(scratchBytes + 64, 64);
            sameBytes(qs, x8, y8, scratch);
            int reps = (int) Math.max(1, 4_000_000L / ((long) m * out * out * c * k * k));
            for (long end = System.nanoTime() + 2_000_000_000L; System.nanoTime() < end; ) {
                f.run(x.data(), w.data(), b.data(), y.data(), scratch, Parallel.SERIAL);
                for (var q : qs) q.run(x8.data(), y8.data(), scratch, Parallel.SERIAL);
            }
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            double tf = Double.MAX_VALUE;
            double[] tq = new double[qs.size()];
            Arrays.fill(tq, Double.MAX_VALUE);
            for (int r = 0; r < rounds; r++) {
                long t0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < reps; i++) f.run(x.data(), w.data(), b.data(), y.data(), scratch, Parallel.SERIAL);
                tf = Math.min(tf, (mx.getCurrentThreadCpuTime() - t0) / 1e3 / reps);
                for (int j = 0; j < qs.size(); j++) {
                    t0 = mx.getCurrentThreadCpuTime();
                    for (int i = 0; i < reps; i++) qs.get(j).run(x8.data(), y8.data(), scratch, Parallel.SERIAL);
                    tq[j] = Math.min(tq[j], (mx.getCurrentThreadCpuTime() - t0) / 1e3 / reps);
                }
            }
            System.out.printf("%d->%d %dx%d/%d at %dx%d: float %.1f us  %s%n", c, m, k, k, s, side, side, tf, name(f));
            for (int j = 0; j < qs.size(); j++) {
                System.out.printf("  %9.1f us  %.3f of float  %s%s%n", tq[j], tq[j] / tf, j == 0 ? "(chosen) " : "", name(qs.get(j)));
            }
        }
    }

    private static List<KernelProvider.Q8ConvKernel> candidates(JavaKernels kernels, KernelProvider.Q8ConvSpec spec,
                                                                jdk.incubator.vector.VectorSpecies<Float> species) {
        List<KernelProvider.Q8ConvKernel> qs = new ArrayList<>();
        qs.add(kernels.q8conv(spec).orElseThrow());
        qs.add(new Q8ConvGemm(spec, species));
        qs.add(new Q8ConvViaF32(spec, kernels, species));
        if (Q8PointwiseDirect.supports(spec, species)) qs.add(new Q8PointwiseDirect(spec, new F32Gemm(species)));
        if (Q8PointwiseImplicit.supports(spec, species)) qs.add(new Q8PointwiseImplicit(spec, new F32Gemm(species)));
        if (Q8ImplicitConv.supports(spec, species)) qs.add(new Q8ImplicitConv(spec, new F32Gemm(species)));
        if (Q8PointwiseFewPositionsBytes.supports(spec, species)) qs.add(new Q8PointwiseFewPositionsBytes(spec, species));
        if (Q8PointwiseFewPositions.supports(spec, species)) qs.add(new Q8PointwiseFewPositions(spec, species));
        return qs;
    }

    /** Stops the bench when two 8-bit kernels disagree on any output byte. */
    private static void sameBytes(List<KernelProvider.Q8ConvKernel> qs, Tensor x8, Tensor y8, MemorySegment scratch) {
        byte[] first = null;
        for (var q : qs) {
            q.run(x8.data(), y8.data(), scratch, Parallel.SERIAL);
            byte[] got = y8.data().toArray(ValueLayout.JAVA_BYTE);
            if (first == null) first = got;
            else if (!Arrays.equals(first, got)) throw new AssertionError(qs.get(0) + " and " + q + " differ");
        }
    }

    private static String name(Object kernel) {
        String s = kernel.toString();
        int spec = s.indexOf(" conv ");
        int q8 = s.indexOf(" q8conv ");
        int cut = q8 > 0 ? q8 : spec;
        return cut > 0 ? s.substring(0, cut) : s;
    }
}
