package dev.edgerun.runtime.kernels.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What one oneDNN primitive run costs around {@code dnnl_primitive_execute}: the least time per
 * call, over rounds of many calls, of omp_set_num_threads, dnnl_memory_set_data_handle, the
 * execution of a 16-float reorder, and a whole {@link DnnlProgram} run of that reorder (acquire,
 * addresses, run, release). Not a test (the outcome depends on the machine and its load):
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
    }
}
