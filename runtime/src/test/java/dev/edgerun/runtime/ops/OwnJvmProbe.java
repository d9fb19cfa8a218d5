package dev.edgerun.runtime.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an allocation probe's {@code main} in a JVM of its own and asserts what it prints. A session
 * uses one vector width, so its kernels' species are JIT constants; in the test JVM the kernel
 * tests have run three widths through the same code, which makes the JIT box vectors there, and
 * whether an allocation test then passes depends on the order the test classes ran in.
 */
public final class OwnJvmProbe {
    private OwnJvmProbe() {}

    /**
     * How long {@link #leastBytesPerRun} measures at most: a loaded machine can delay the JIT for
     * seconds (one CI run of 2026-11-28 saw Softmax still allocating after 20 s, and the same tree
     * then passed in 5 s). A probe that reaches zero stops at once, so only a failing one waits this long.
     */
    private static final long BUDGET_NANOS = 60_000_000_000L;

    /**
     * The fewest heap bytes {@code body} allocates per run on this thread over windows of 200 runs,
     * after 20000 warm-up runs, measuring until a window allocates nothing or 60 s have passed (until
     * the JIT has compiled the Vector API calls, which allocate while interpreted).
     */
    public static long leastBytesPerRun(Runnable body) {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) body.run();
        long id = Thread.currentThread().threadId();
        long least = Long.MAX_VALUE;
        long deadline = System.nanoTime() + BUDGET_NANOS;
        while (least > 0 && System.nanoTime() < deadline) {
            long before = bean.getThreadAllocatedBytes(id);
            for (int i = 0; i < 200; i++) body.run();
            least = Math.min(least, (bean.getThreadAllocatedBytes(id) - before) / 200);
        }
        return least;
    }

    /**
     * Runs {@code probe} (its lines: {@code NAME BYTES_PER_RUN}, the name may hold spaces) and asserts
     * {@code expectedLines} lines, each with 0 bytes per run.
     */
    public static void assertNothingAllocated(Class<?> probe, int expectedLines) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(probe.getName());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "probe did not finish");
        assertEquals(0, p.exitValue(), output);
        int lines = 0;
        for (String line : output.split("\n")) {
            if (line.isBlank() || line.startsWith("WARNING")) continue;
            String trimmed = line.trim();
            int cut = trimmed.lastIndexOf(' ');
            assertTrue(cut > 0, "unexpected probe output: " + output);
            String name = trimmed.substring(0, cut), bytes = trimmed.substring(cut + 1);
            assertEquals("0", bytes, name + " allocates " + bytes + " bytes per run");
            lines++;
        }
        assertEquals(expectedLines, lines, output);
    }
}
