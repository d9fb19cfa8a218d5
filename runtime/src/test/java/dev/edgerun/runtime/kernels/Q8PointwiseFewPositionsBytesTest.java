package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** {@link Q8PointwiseFewPositionsBytes}'s steady-state runs allocate nothing (its outputs: {@link JavaQ8ConvTest}). */
class Q8PointwiseFewPositionsBytesTest {
    @Test
    void runsAllocateNothing() throws IOException, InterruptedException {
        assumeTrue(FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512, "the kernel needs 512-bit vectors");
        dev.edgerun.runtime.ops.OwnJvmProbe.assertNothingAllocated(Q8PointwiseFewPositionsBytesAllocationProbe.class, 1);
    }
}
