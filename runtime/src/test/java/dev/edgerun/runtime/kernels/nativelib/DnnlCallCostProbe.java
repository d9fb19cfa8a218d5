package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.KernelProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What one oneDNN primitive run costs around {@code dnnl_primitive_execute}: the least time per
 * call, over rounds of many calls, of omp_set_num_threads, dnnl_memory_set_data_handle, the
 * execution of a 16-float reorder, and a whole {@link DnnlProgram} run of that reorder (acquire,
 * addresses, run, release); then the least time of a run of DS-CNN's convolutions (64 channels,
 * depthwise 3x3 and pointwise, ReLU, 16-channel blocks in and out, as between two oneDNN
 * convolutions of the model) over one position, which is nearly all fixed cost, and over DS-CNN's
 * 25x5. Not a test (the outcome depends on the machine and its load):
 * {@code java ... DnnlCallCostProbe [rounds]}.
 */
public final class DnnlCallCostProbe {
    private static final int CALLS = 20_000;

    private DnnlCallCostProbe() { }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Dnnl dnnl = Dnnl.get();
        Arena arena = Arena.ofShared();
        MemorySegment md = dnnl.mdByTag(arena, new long[] {16}, Dnnl.F32, Dnnl.plainTag(1));
        MemorySegment x = arena.allocate(64, 64), y = arena.allocate(64, 64);
        long pd = dnnl.reorderDesc(md, md);
        long primitive = dnnl.primitiveCreate(pd);
        dnnl.primitiveDescDestroy(pd);
        DnnlProgram program = new DnnlProgram(dnnl, List.of(new DnnlProgram.Step(primitive, List.of(
                DnnlProgram.Arg.buffer(Dnnl.ARG_FROM, md, 0), DnnlProgram.Arg.buffer(Dnnl.ARG_TO, md, 1)))),
                2, 1, arena, List.of());
        DnnlProgram.Slot slot = program.acquire();
        slot.address[0] = x.address();
        slot.address[1] = y.address();
        program.run(slot);
        long memory = dnnl.memoryCreate(md, x.address());
        long stream = dnnl.streamCreate();
        MemorySegment execArgs = arena.allocate(32, 8);
        execArgs.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, Dnnl.ARG_FROM);
        execArgs.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, memory);
        execArgs.set(java.lang.foreign.ValueLayout.JAVA_INT, 16, Dnnl.ARG_TO);
        execArgs.set(java.lang.foreign.ValueLayout.JAVA_LONG, 24, dnnl.memoryCreate(md, y.address()));
        program.release(slot);
        long[] least = new long[4];
        java.util.Arrays.fill(least, Long.MAX_VALUE);
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < CALLS; i++) dnnl.setThreads(1);
            long t1 = System.nanoTime();
            for (int i = 0; i < CALLS; i++) dnnl.memorySetHandle(memory, x.address());
            long t2 = System.nanoTime();
            for (int i = 0; i < CALLS; i++) dnnl.execute(primitive, stream, 2, execArgs.address());
            long t3 = System.nanoTime();
            for (int i = 0; i < CALLS; i++) {
                DnnlProgram.Slot s = program.acquire();
                s.address[0] = x.address();
                s.address[1] = y.address();
                program.run(s);
                program.release(s);
            }
            long t4 = System.nanoTime();
            least[0] = Math.min(least[0], t1 - t0);
            least[1] = Math.min(least[1], t2 - t1);
            least[2] = Math.min(least[2], t3 - t2);
            least[3] = Math.min(least[3], t4 - t3);
        }
        System.out.printf("ns per call (least of %d rounds of %d): setThreads %.1f, setHandle %.1f, execute(reorder 16) %.1f,"
                + " program run %.1f%n", rounds, CALLS, least[0] / (double) CALLS, least[1] / (double) CALLS,
                least[2] / (double) CALLS, least[3] / (double) CALLS);
        for (int group : new int[] {64, 1}) {
            convolution(dnnl, group, 1, 1, rounds);
            convolution(dnnl, group, 25, 5, rounds);
        }
    }

    /** A run as DnnlConvKernel's: buffers 0 (x), 1 (bias, here its zeros) and 2 (y). */
    private static void runConvolution(DnnlKernel.Built b, MemorySegment x, MemorySegment y, MemorySegment scratch) {
        DnnlProgram.Slot slot = b.program().acquire();
        try {
            slot.address[0] = x.address();
            slot.address[1] = b.zeroBias();
            slot.address[2] = y.address();
            b.scratch().assign(slot, scratch);
            b.program().run(slot);
        } finally {
            b.program().release(slot);
        }
    }

    /** Least microseconds per run of a 64-channel convolution (group 64: depthwise 3x3, else 1x1) with ReLU over h x w. */
    private static void convolution(Dnnl dnnl, int group, int h, int w, int rounds) {
        int k = group == 1 ? 1 : 3;
        long[] xs = {1, 64, h, w}, ws = {64, 64 / group, k, k};
        float[] weights = new float[64 * (64 / group) * k * k];
        java.util.Arrays.fill(weights, 0.01f);
        try (Tensor wt = Tensor.of(weights, ws); Arena arena = Arena.ofConfined()) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, xs, group, new int[] {1, 1},
                    new int[] {k / 2, k / 2}, new int[] {1, 1}, wt, new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f));
            DnnlConvKernel plain = DnnlConvKernel.create(dnnl, spec, DnnlConvKernel.Layout.BLOCKED, true);
            var blocked = (DnnlConvKernel) plain.withInternalLayouts(plain.internalInputLayout() != null,
                    plain.internalOutputLayout() != null);
            DnnlKernel.Built b = blocked.build(1);
            MemorySegment x = arena.allocate(4L * 64 * h * w + 4096, 64), y = arena.allocate(4L * 64 * h * w + 4096, 64);
            MemorySegment scratch = arena.allocate(Math.max(64, b.scratch().total()), 64);
            long least = Long.MAX_VALUE;
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < CALLS / 20; i++) runConvolution(b, x, y, scratch);
                least = Math.min(least, System.nanoTime() - t0);
            }
            System.out.printf("convolution 64->64 group %d %dx%d @%dx%d: %.3f us per run (%s)%n", group, k, k, h, w,
                    least / 1e3 / (CALLS / 20), b.implementation());
        }
    }
}
