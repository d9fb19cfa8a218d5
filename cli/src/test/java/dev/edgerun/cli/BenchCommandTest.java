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
    void anUnknownProviderIsRefusedNamingTheAvailableOnes() {
        String before = System.getProperty(KernelSelection.PROPERTY);
        Cli.Outcome r = Cli.run("bench", "--kernels", "no-such-provider", "--runs", "1", Cli.model("mlp_tiny"));
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("no-such-provider") && r.err().contains("java"), r.err());
        assertEquals(before, System.getProperty(KernelSelection.PROPERTY));
    }
}
