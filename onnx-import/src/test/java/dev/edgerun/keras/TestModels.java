package dev.edgerun.keras;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Small Keras models built in code for converter tests: a configuration written as JSON (in Keras
 * 2's spelling unless a test says otherwise), weights held in memory by layer name, imported through
 * the same conversion as files, and run on the native engine.
 */
final class TestModels {
    private TestModels() {}

    /** Weights by layer name; nested models share the one map. */
    static final class MapWeights implements WeightStore {
        final Map<String, List<Weight>> byLayer = new HashMap<>();

        MapWeights put(String layer, Weight... ws) {
            byLayer.put(layer, List.of(ws));
            return this;
        }

        @Override
        public Scope root(List<KerasLayer> layers) {
            return new Scope() {};
        }

        @Override
        public Scope nested(Scope parent, KerasLayer model, List<KerasLayer> layers) {
            return parent;
        }

        @Override
        public List<Weight> weights(Scope scope, KerasLayer layer) {
            return byLayer.getOrDefault(layer.name(), List.of());
        }
    }

    static Model importJson(String json, MapWeights weights) {
        return importJson(json, weights, "2.4.0");
    }

    static Model importJson(String json, MapWeights weights, String kerasVersion) {
        return KerasImporter.convert("test model", Json.parseObject(json, "test model"), kerasVersion, weights, "test");
    }

    /** A Sequential model: input batch shape (null for the batch) and layer entries. */
    static String sequential(String batchShape, String... layers) {
        StringBuilder b = new StringBuilder("{\"class_name\": \"Sequential\", \"config\": {\"name\": \"m\", \"layers\": [")
                .append("{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": ").append(batchShape)
                .append(", \"dtype\": \"float32\", \"name\": \"x\"}}");
        for (String l : layers) b.append(", ").append(l);
        return b.append("]}}").toString();
    }

    /** A layer entry {@code {"class_name": cls, "config": {"name": name, <config>}}}. */
    static String layer(String cls, String name, String config) {
        return "{\"class_name\": \"" + cls + "\", \"config\": {\"name\": \"" + name + "\""
                + (config.isBlank() ? "" : ", " + config) + "}}";
    }

    static Weight weight(String name, Random rnd, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] data = new float[(int) n];
        for (int i = 0; i < data.length; i++) data[i] = rnd.nextFloat() - 0.5f;
        return new Weight(name, shape, data);
    }

    static float[] random(Random rnd, int n) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = rnd.nextFloat() * 2 - 1;
        return r;
    }

    /** Runs a one-output model on the native engine. */
    static float[] runNative(Model m, Map<String, Tensor> inputs) {
        try (Session s = Edgerun.session(m, SessionOptions.builder().engine("native").threads(1).build());
             RunResult r = s.run(inputs)) {
            return r.get(0).toFloatArray();
        }
    }

    /** Runs a model on the native engine; outputs by name, as float arrays. */
    static Map<String, float[]> runAll(Model m, Map<String, Tensor> inputs) {
        try (Session s = Edgerun.session(m, SessionOptions.builder().engine("native").threads(1).build());
             RunResult r = s.run(inputs)) {
            Map<String, float[]> out = new java.util.LinkedHashMap<>();
            for (String n : r.names()) out.put(n, r.get(n).toFloatArray());
            return out;
        }
    }

    static float[] runNative(Model m, float[] x, long... dims) {
        try (Tensor t = Tensor.of(x, dims)) {
            return runNative(m, Map.of(m.graph().inputs().get(0).name(), t));
        }
    }

    static void assertClose(float[] expected, float[] actual, double tol) {
        org.junit.jupiter.api.Assertions.assertEquals(expected.length, actual.length, "element count");
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= tol * (1 + Math.abs(expected[i])))) {
                org.junit.jupiter.api.Assertions.fail("element " + i + ": expected " + expected[i] + ", got " + actual[i]);
            }
        }
    }

    static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }
}
