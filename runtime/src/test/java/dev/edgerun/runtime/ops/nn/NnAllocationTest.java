package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.ops.OwnJvmProbe;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * A planned single-thread run of the main nn operators allocates nothing on the Java heap,
 * measured by {@link NnAllocationProbe} in a JVM of its own (see {@link OwnJvmProbe} for why).
 */
class NnAllocationTest {

    @Test
    void plannedRunsAllocateNothing() throws IOException, InterruptedException {
        OwnJvmProbe.assertNothingAllocated(NnAllocationProbe.class, (int) NnAllocationProbe.nodes().count());
    }
}
