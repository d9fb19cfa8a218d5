package dev.edgerun.runtime.ops.elementwise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A planned element-wise kernel allocates nothing on the Java heap per run. Measured by
 * {@link AllocationProbe} in a JVM of its own, which uses one vector width as a session does (in
 * this JVM the kernel tests have run three widths through the same code).
 */
class NoHeapAllocationTest {

    @Test
    void plannedKernelsRunWithoutAllocating() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(AllocationProbe.class.getName());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe did not finish");
        assertEquals(0, p.exitValue(), output);
        int lines = 0;
        for (String line : output.split("\n")) {
            if (line.isBlank() || line.startsWith("WARNING")) continue;
            String[] parts = line.trim().split(" ");
            assertEquals(2, parts.length, "unexpected probe output: " + output);
            assertEquals("0", parts[1], parts[0] + " allocates " + parts[1] + " bytes per run");
            lines++;
        }
        assertEquals(12, lines, output);
    }
}
