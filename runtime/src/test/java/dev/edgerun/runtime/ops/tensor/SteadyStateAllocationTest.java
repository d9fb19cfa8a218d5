package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.ops.OwnJvmProbe;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Planned kernels of the model-critical data-movement and reduction operators allocate nothing on
 * the Java heap per run once compiled, measured by {@link SteadyStateAllocationProbe} in a JVM of
 * its own: in the test JVM, ReduceMean was seen allocating 222 B per run in one full-suite run
 * (vector code compiled for another width first), and passing alone.
 */
class SteadyStateAllocationTest {

    @Test
    void plannedKernelsDoNotAllocatePerRun() throws IOException, InterruptedException {
        OwnJvmProbe.assertNothingAllocated(SteadyStateAllocationProbe.class, SteadyStateAllocationProbe.CASES);
    }
}
