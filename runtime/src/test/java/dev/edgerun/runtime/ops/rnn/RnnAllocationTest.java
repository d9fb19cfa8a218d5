package dev.edgerun.runtime.ops.rnn;

import dev.edgerun.runtime.ops.OwnJvmProbe;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * A planned single-thread run of LSTM (fused steps and the separate product and cell), GRU and RNN
 * allocates nothing on the Java heap, measured by {@link RnnAllocationProbe} in a JVM of its own
 * (see {@link OwnJvmProbe} for why).
 */
class RnnAllocationTest {

    @Test
    void plannedRunsAllocateNothing() throws IOException, InterruptedException {
        OwnJvmProbe.assertNothingAllocated(RnnAllocationProbe.class, RnnAllocationProbe.CASES);
    }
}
