package dev.edgerun.devices.providers;

import dev.edgerun.devices.probe.DeviceFacts;
import dev.edgerun.devices.probe.DeviceProbe;

/**
 * Defaults for small boards: intra-op threads = the physical cores of the fastest cluster (hyper-threads
 * and LITTLE cores slow a parallel operator down to the pace of the slowest thread), probed once.
 */
public final class EdgeDefaults {
    private static final DeviceFacts FACTS = DeviceProbe.local().probe();

    private EdgeDefaults() {
    }

    /** {@code requested} when positive, else the probed big-core count. */
    public static int intraOpThreads(int requested) {
        return requested > 0 ? requested
                : Math.max(1, Math.min(FACTS.bigCores(), Runtime.getRuntime().availableProcessors()));
    }

    /** Why {@link #intraOpThreads} chose what it chose when nothing was requested. */
    public static String threadsReason() {
        return "physical cores of the fastest cluster";
    }
}
