package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.OwnJvmProbe;
import java.lang.foreign.MemorySegment;
import java.util.List;
import jdk.incubator.vector.FloatVector;

/**
 * Prints the heap bytes per single-thread run of {@link Q8Depthwise3x3Stride2Phases} through
 * {@link Q8DepthwiseConv} ({@code NAME BYTES} lines); run in a JVM of its own by
 * {@link Q8Depthwise3x3Stride2PhasesTest}, so that the species is a JIT constant as in an engine process.
 */
public final class Q8Depthwise3x3Stride2PhasesAllocationProbe {
    static final List<Q8Depthwise3x3Stride2PhasesTest.Case> CASES = List.of(
            new Q8Depthwise3x3Stride2PhasesTest.Case(1, 24, 28, 28, 1, false, true, true, false),
            new Q8Depthwise3x3Stride2PhasesTest.Case(1, 9, 15, 13, 1, true, false, false, false));

    private Q8Depthwise3x3Stride2PhasesAllocationProbe() {}

    public static void main(String[] args) {
        for (Q8Depthwise3x3Stride2PhasesTest.Case c : CASES) {
            try (var in = Q8Depthwise3x3Stride2PhasesTest.inputs(c); Tensor y = Tensor.allocate(DType.UINT8, c.ys())) {
                Q8DepthwiseConv kernel = new Q8DepthwiseConv(in.spec, FloatVector.SPECIES_512);
                MemorySegment x = in.x.data(), out = y.data();
                System.out.println(c + " " + OwnJvmProbe.leastBytesPerRun(() -> kernel.run(x, out, MemorySegment.NULL, Parallel.SERIAL)));
            }
        }
    }
}
