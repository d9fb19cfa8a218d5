package dev.edgerun.runtime.kernels;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

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
 *
 * <p>Read with a {@link FileInputStream} and parsed without {@link Double#parseDouble}: this runs
 * on the thread that opens oneDNN, which the first session's compile waits for, in a fresh JVM.
 * There {@code Files.readString} took 1.1-1.5 ms of CPU (it loads and initialises the NIO channel
 * classes) against 0.2 ms, and the first parseDouble 0.16-0.27 ms (it initialises
 * {@code FloatingDecimal}) (5 fresh JVMs each, with the start-up archive, load ~10).
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
            String line;
            try (FileInputStream in = new FileInputStream("/proc/loadavg")) {
                line = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            }
            return parseLoad(line.substring(0, line.indexOf(' ')));
        } catch (IOException | RuntimeException e) {
            return 0; // not Linux, or an unexpected format: no figure
        }
    }

    /**
     * The load figure the kernel writes, such as {@code 7.37} (digits, optionally a point and more
     * digits); throws {@link NumberFormatException} for anything else.
     */
    static double parseLoad(String figure) {
        int point = figure.indexOf('.');
        String whole = point < 0 ? figure : figure.substring(0, point);
        String fraction = point < 0 ? "" : figure.substring(point + 1);
        if (whole.isEmpty() || !digitsOnly(whole) || !digitsOnly(fraction) || fraction.length() > 9) {
            throw new NumberFormatException("not a load average: '" + figure + "'");
        }
        double value = Long.parseLong(whole);
        return fraction.isEmpty() ? value : value + Long.parseLong(fraction) / Math.pow(10, fraction.length());
    }

    private static boolean digitsOnly(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        }
        return true;
    }
}
