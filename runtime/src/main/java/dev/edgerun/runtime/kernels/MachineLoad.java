package dev.edgerun.runtime.kernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the machine is busy, for the choices that spinning threads depend on: a thread that
 * spins while waiting for work pays only while each thread has a core of its own. Busy means a
 * 1-minute load average (Linux {@code /proc/loadavg}) above twice the number of CPUs this JVM may
 * use; where there is no such figure the machine counts as not busy.
 *
 * <p>Why twice: the average counts this process's own threads too. A 2-thread benchmark alone on
 * the 2-CPU build machine reads about 2, and with "above the CPU count" its sessions took turns
 * finding the machine busy and not: in {@code bench --compare --kernels auto --threads 2
 * mobilenet_v2} (quiet, load 2.0-2.3) the oneDNN spin was off and the ratio read 1.24 where a
 * forced spin read 0.91 (two rounds each). The machine the spin hurt had a load of 8-21 on 2 CPUs.
 */
public final class MachineLoad {
    private MachineLoad() {}

    /** Whether the machine is busy now; reads a file, so call it when setting up, not per run. */
    public static boolean busy() {
        return oneMinuteLoad() > 2.0 * Runtime.getRuntime().availableProcessors();
    }

    /** The 1-minute load average; 0 where there is none. */
    static double oneMinuteLoad() {
        try {
            String line = Files.readString(Path.of("/proc/loadavg"));
            return Double.parseDouble(line.substring(0, line.indexOf(' ')));
        } catch (IOException | RuntimeException e) {
            return 0; // not Linux, or an unexpected format: no figure
        }
    }
}
