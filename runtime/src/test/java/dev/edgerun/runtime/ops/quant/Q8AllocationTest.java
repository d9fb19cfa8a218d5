package dev.edgerun.runtime.ops.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.nativelib.OneDnnKernels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Static int8 runs on the Java kernels allocate nothing on the heap in steady state, at 1 and at 2
 * threads ({@link Q8AllocationProbe}: every fused 8-bit operator splits its work at 2 threads).
 * Each thread count runs in a JVM of its own: as {@code OwnJvmProbe} explains for vector widths,
 * what the JIT made of the 8-bit loops for one session's call paths (1 thread, then 2 in one JVM)
 * can leave a later session's loops boxing their vectors, which is a JIT state, not a per-run
 * allocation of the kernels.
 */
class Q8AllocationTest {

    @ParameterizedTest(name = "{0} thread(s)")
    @ValueSource(ints = {1, 2})
    void staticInt8RunsAllocateNothing(int threads) throws IOException, InterruptedException {
        probeSays(Integer.toString(threads), Q8AllocationProbe.NAMES.get(threads - 1));
    }

    /** The same graph on oneDNN's kernels at 2 threads, its inner 8-bit convolutions split by rows on the Java threads. */
    @Test
    void oneDnnRowSplitRunsAllocateNothing() throws IOException, InterruptedException {
        KernelProvider.Availability onednn = new OneDnnKernels().availability();
        assumeTrue(onednn.available(), "oneDNN unavailable, skipping: " + onednn.reason());
        probeSays("onednn", Q8AllocationProbe.ONEDNN_NAME);
    }

    private static void probeSays(String argument, String name) throws IOException, InterruptedException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), Q8AllocationProbe.class.getName(), argument);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "probe did not finish");
        assertEquals(0, p.exitValue(), output);
        String line = output.lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + name + " in the probe's output:\n" + output));
        assertEquals(name + " 0", line, "bytes per run after warm-up; probe output:\n" + output);
    }
}
