package dev.edgerun.runtime.ops.elementwise;

import dev.edgerun.runtime.ops.OwnJvmProbe;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * A planned element-wise kernel allocates nothing on the Java heap per run. Measured by
 * {@link AllocationProbe} in a JVM of its own, which uses one vector width as a session does (in
 * this JVM the kernel tests have run three widths through the same code).
 */
class NoHeapAllocationTest {

    @Test
    void plannedKernelsRunWithoutAllocating() throws IOException, InterruptedException {
        OwnJvmProbe.assertNothingAllocated(AllocationProbe.class, 12);
    }
}
