package dev.edgerun.devices.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.devices.probe.DeviceProbe;
import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short tuning run over both engines on a small MatMul model, its profile written and found again. */
class TunerTest {

    private static Path matmulModel(Path dir) {
        Graph g = Graph.builder("mm")
                .input(Value.tensor("x", DType.FLOAT, 8, 64))
                .input(Value.tensor("w", DType.FLOAT, 64, 64))
                .output(Value.tensor("y", DType.FLOAT, 8, 64))
                .node("MatMul", List.of("x", "w"), List.of("y"))
                .build();
        Path f = dir.resolve("mm.onnx");
        try (Model m = Model.builder().graph(g).opset(17).build()) {
            OnnxModels.write(m, f);
        }
        return f;
    }

    private static Map<String, Tensor> zeros(Model m) {
        Map<String, Tensor> r = new LinkedHashMap<>();
        for (Value v : m.graph().requiredInputs()) {
            r.put(v.name(), Tensor.allocate(DType.FLOAT, v.name().equals("x") ? new long[] {8, 64} : new long[] {64, 64}));
        }
        return r;
    }

    @Test
    void measuresEveryConfigurationAndKeepsTheFastest(@TempDir Path dir) throws Exception {
        Path model = matmulModel(dir);
        List<Configuration> grid = new ArrayList<>(Tuner.grid(Map.of("model", model), List.of("native", "onnxruntime"), List.of(1, 2)));
        grid.add(new Configuration("model", model, "onnxruntime", "nnapi", 1));
        List<Measurement> seen = new ArrayList<>();
        List<Measurement> all = new Tuner(0.05, TunerTest::zeros).measure(grid, seen::add);
        assertEquals(all, seen);
        assertEquals(5, all.size());
        for (Measurement m : all.subList(0, 4)) {
            assertTrue(m.ok(), m.toString());
            assertTrue(m.runs() >= 5 && m.medianMs() > 0 && m.p90Ms() >= m.medianMs(), m.toString());
        }
        Measurement nnapi = all.getLast();
        assertFalse(nnapi.ok());
        assertTrue(nnapi.error().contains("Android"), nnapi.error());

        TuningProfile p = Tuner.profile(model, DeviceProbe.local().probe(), all);
        double fastest = all.stream().filter(Measurement::ok).mapToDouble(Measurement::medianMs).min().orElseThrow();
        assertEquals(fastest, p.bestMedianMs());

        ProfileStore store = new ProfileStore(dir.resolve("profiles"));
        Path written = store.save(p);
        assertTrue(Files.isRegularFile(written));
        TuningProfile back = store.find(model).orElseThrow();
        assertEquals(p.best(), back.best());
        assertEquals(5, back.measurements().size());
        assertEquals(nnapi.error(), back.measurements().getLast().error());

        AutoOptions auto = AutoOptions.forModel(model, store).orElseThrow();
        assertEquals(p.best().engine(), auto.options().engine());
        assertEquals(p.best().threads(), auto.options().threads());
        assertEquals(List.of(p.best().device()), auto.options().devices());

        Files.write(model, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        assertTrue(store.find(model).isEmpty(), "a changed model must not find the old profile");
    }

    @Test
    void damagedProfileSaysWhatToDo(@TempDir Path dir) throws Exception {
        Path model = matmulModel(dir);
        ProfileStore store = new ProfileStore(dir);
        Files.writeString(store.fileFor(ProfileStore.sha256(model)), "{\"model_sha256\": 3");
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> store.find(model));
        assertTrue(e.getMessage().contains("not a tuning profile"), e.getMessage());
    }
}
