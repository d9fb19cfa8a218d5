package dev.edgerun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.kernels.KernelSelection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** bench --kernels: the provider reaches the native sessions, is reported, and is undone afterwards. */
class BenchCommandTest {

    @Test
    @SuppressWarnings("unchecked")
    void kernelsJavaRestrictsTheProvidersAndIsRestoredAfterwards() {
        String before = System.getProperty(KernelSelection.PROPERTY);
        Cli.Outcome r = Cli.run("bench", "--json", "--kernels", "java", "--runs", "3", "--warmup", "1",
                "--warmup-seconds", "0", Cli.model("mlp_tiny"));
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> doc = MiniJson.object(r.out());
        assertEquals("java", doc.get("kernels"));
        assertEquals(List.of("java", "scalar"), doc.get("kernel_providers"));
        Map<String, Object> nat = (Map<String, Object>) ((Map<String, Object>) doc.get("engines")).get("native");
        assertTrue(((Number) nat.get("median_us")).doubleValue() > 0, nat.toString());
        assertEquals(before, System.getProperty(KernelSelection.PROPERTY));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theNativeArenaIsTheMeasuredSessionsPlan() {
        String model = Cli.model("mlp_tiny");
        Cli.Outcome bench = Cli.run("bench", "--json", "--engine", "native", "--threads", "1", "--runs", "2", "--warmup", "0",
                "--warmup-seconds", "0", model);
        assertEquals(0, bench.exit(), bench.err());
        Map<String, Object> nat = (Map<String, Object>) ((Map<String, Object>) MiniJson.object(bench.out()).get("engines")).get("native");
        Cli.Outcome inspect = Cli.run("inspect", "--json", model);
        assertEquals(0, inspect.exit(), inspect.err());
        Object planned = MiniJson.object(inspect.out()).get("planned_peak_bytes");
        assertTrue(((Number) planned).longValue() > 0, inspect.out());
        assertEquals(((Number) planned).longValue(), ((Number) nat.get("planned_arena_bytes")).longValue());
    }

    @Test
    void theStartupTrainingWorkloadRunsQuietly() {
        Cli.Outcome r = Cli.run("startup-training");
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.out());
    }

    @Test
    void anUnknownProviderIsRefusedNamingTheAvailableOnes() {
        String before = System.getProperty(KernelSelection.PROPERTY);
        Cli.Outcome r = Cli.run("bench", "--kernels", "no-such-provider", "--runs", "1", Cli.model("mlp_tiny"));
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("no-such-provider") && r.err().contains("java"), r.err());
        assertEquals(before, System.getProperty(KernelSelection.PROPERTY));
    }
}
