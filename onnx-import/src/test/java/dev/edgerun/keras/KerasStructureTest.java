package dev.edgerun.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The IR of the Keras 3 test models, without running it: inputs and outputs as Keras' index.json
 * lists them (names, channels-last shapes, batch symbolic), opset 17, standard operators only, the
 * same graph and the same weights from {@code model.keras} and {@code model.h5}, and transposes
 * only where the layout changes.
 */
class KerasStructureTest {

    @Test
    void inputsOutputsAndWeightsAgreeWithKerasIndexAndAcrossContainers() throws IOException {
        Path dir = KerasTestData.root().resolve("keras3-generated");
        Map<String, Object> index = Json.parseObject(Files.readString(dir.resolve("index.json")), "index.json");
        List<?> models = (List<?>) index.get("models");
        assertEquals(12, models.size());
        for (Object o : models) {
            Config entry = new Config(cast(o), "index.json");
            String name = entry.string("name");
            try (Model k3 = new KerasImporter().read(dir.resolve(name).resolve("model.keras"));
                 Model h5 = new KerasImporter().read(dir.resolve(name).resolve("model.h5"))) {
                assertEquals(17L, k3.onnxOpset(), name);
                checkValues(name, entry.objects("inputs"), k3.graph().inputs(), true);
                checkValues(name, entry.objects("outputs"), k3.graph().outputs(), false);
                for (Node n : k3.graph().nodes()) assertEquals("", n.domain(), name + ": " + n);
                assertEquals(ops(k3), ops(h5), name + ": the two containers give different graphs");
                assertSameWeights(name, k3, h5);
            }
        }
    }

    @Test
    void convolutionChainsStayChannelsFirst() {
        Path dir = KerasTestData.root().resolve("keras3-generated");
        // mobilenet_block: one transpose at the input; global pooling reduces channels-first, so none after
        try (Model m = new KerasImporter().read(dir.resolve("mobilenet_block").resolve("model.keras"))) {
            assertEquals(1, count(m, "Transpose"), ops(m).toString());
            assertEquals(6, count(m, "Conv"));
        }
        // cnn_bn: into channels-first at the input, back to channels-last once before Flatten
        try (Model m = new KerasImporter().read(dir.resolve("cnn_bn").resolve("model.keras"))) {
            assertEquals(2, count(m, "Transpose"), ops(m).toString());
        }
    }

    private static void checkValues(String model, List<Config> expected, List<Value> actual, boolean named) {
        assertEquals(expected.size(), actual.size(), model);
        for (int i = 0; i < expected.size(); i++) {
            long[] dims = expected.get(i).dims("shape");
            long[] got = actual.get(i).shape().dims();
            assertEquals(-1, got[0], model + ": batch stays symbolic");
            dims[0] = -1;
            assertArrayEquals(dims, got, model + " " + actual.get(i));
            if (named) assertEquals(expected.get(i).string("name"), actual.get(i).name(), model);
        }
    }

    private static void assertSameWeights(String model, Model a, Model b) {
        List<Tensor> ta = List.copyOf(a.graph().initializers().values());
        List<Tensor> tb = List.copyOf(b.graph().initializers().values());
        assertEquals(ta.size(), tb.size(), model);
        for (int i = 0; i < ta.size(); i++) {
            assertArrayEquals(ta.get(i).shape().dims(), tb.get(i).shape().dims(), model);
            assertArrayEquals(ta.get(i).toByteArray(), tb.get(i).toByteArray(), model + ": initializer " + i);
        }
    }

    private static List<String> ops(Model m) {
        return m.graph().nodes().stream().map(Node::opType).toList();
    }

    private static long count(Model m, String op) {
        return m.graph().nodes().stream().filter(n -> n.opType().equals(op)).count();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        assertTrue(o instanceof Map);
        return (Map<String, Object>) o;
    }
}
