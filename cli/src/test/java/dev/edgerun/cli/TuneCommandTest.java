package dev.edgerun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code edgerun tune} writes a profile that {@code run --profile auto} then uses; device flags on {@code run}. */
class TuneCommandTest {
    @TempDir
    Path profiles;

    @BeforeEach
    void ownProfileFolder() {
        System.setProperty("edgerun.profiles", profiles.toString());
    }

    @AfterEach
    void restore() {
        System.clearProperty("edgerun.profiles");
    }

    private static String input() {
        return Path.of(Cli.model("kws_dscnn")).resolveSibling("test_data_set_0").resolve("input_0.pb").toString();
    }

    @Test
    @SuppressWarnings("unchecked")
    void tuneThenRunWithTheProfile() throws Exception {
        String model = Cli.model("kws_dscnn");
        Cli.Outcome tune = Cli.run("tune", model, "--seconds", "0.05", "--threads", "1,2", "--json");
        assertEquals(0, tune.exit(), tune.err());
        Map<String, Object> doc = MiniJson.object(tune.out());
        List<Object> rows = (List<Object>) doc.get("measurements");
        assertEquals(4, rows.size(), "native and onnxruntime x 1 and 2 threads");
        Map<String, Object> best = (Map<String, Object>) doc.get("best");
        assertTrue(Files.isRegularFile(Path.of((String) doc.get("profile"))));

        Cli.Outcome run = Cli.run("run", model, "--profile", "auto", "--input", input(), "--json");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().contains("tuned profile: model " + best.get("engine") + " cpu " + best.get("threads") + "t"),
                run.err());
        assertEquals(best.get("engine"), MiniJson.object(run.out()).get("engine"));
    }

    @Test
    void runWithoutAProfileSaysSoAndUsesTheFlags() {
        Cli.Outcome run = Cli.run("run", Cli.model("kws_dscnn"), "--profile", "auto", "--input", input());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().contains("no tuning profile for"), run.err());
        assertTrue(run.out().startsWith("native engine"), run.out());
    }

    @Test
    void deviceFlags() {
        String model = Cli.model("kws_dscnn");
        Cli.Outcome cuda = Cli.run("run", model, "--device", "cuda", "--input", input());
        assertEquals(2, cuda.exit());
        assertEquals(1, cuda.err().strip().lines().count(), cuda.err());
        assertTrue(cuda.err().contains("device 'cuda' is unavailable") && cuda.err().contains("-Pcuda"), cuda.err());

        Cli.Outcome nnapi = Cli.run("run", model, "--device", "nnapi", "--input", input());
        assertEquals(2, nnapi.exit());
        assertTrue(nnapi.err().strip().startsWith("edgerun run: device 'nnapi' is unavailable: NNAPI exists only in ONNX Runtime's Android build"),
                nnapi.err());

        Cli.Outcome fallback = Cli.run("run", model, "--device", "cuda,cpu", "--input", input());
        assertEquals(0, fallback.exit(), fallback.err());
        assertTrue(fallback.out().startsWith("onnxruntime 1.23.2 on cpu (fallback: cuda unavailable)"), fallback.out());
    }
}
