package dev.edgerun.keras;

import static dev.edgerun.keras.TestModels.assertClose;
import static dev.edgerun.keras.TestModels.weight;

import dev.edgerun.runtime.ir.Model;
import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Sequential model nested in a functional one, written in both containers by this test (with
 * jhdf), so that the weight paths of nested models are exercised: Keras 3 keys
 * ({@code layers/sequential/layers/dense/vars/0}) and the legacy HDF5 group of the nested model.
 */
class NestedModelFileTest {
    @TempDir
    Path tmp;

    private final Random rnd = new Random(21);
    private final Weight k1 = weight("k1", rnd, 4, 3), b1 = weight("b1", rnd, 3), k2 = weight("k2", rnd, 3, 2), b2 = weight("b2", rnd, 2);
    private final float[] x = TestModels.random(rnd, 2 * 4);

    private float[] expected() {
        float[] h = FunctionalModelTest.dense(x, k1.data(), b1.data(), 4, 3);
        for (int i = 0; i < h.length; i++) h[i] = Math.max(0, h[i]);
        return FunctionalModelTest.dense(h, k2.data(), b2.data(), 3, 2);
    }

    @Test
    void keras3ArchiveWithNestedSequential() throws IOException {
        String config = """
                {"module": "keras", "class_name": "Functional", "config": {"name": "outer", "layers": [
                  {"module": "keras.layers", "class_name": "InputLayer", "name": "x", "inbound_nodes": [],
                   "config": {"batch_shape": [null, 4], "dtype": "float32", "name": "x"}},
                  {"module": "keras", "class_name": "Sequential", "name": "inner",
                   "config": {"name": "inner", "layers": [
                      {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "float32", "name": "inner_in"}},
                      {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d_in", "units": 3, "activation": "relu"}}]},
                   "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]},
                  {"module": "keras.layers", "class_name": "Dense", "name": "head", "config": {"name": "head", "units": 2},
                   "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["inner", 0, 0]}}], "kwargs": {}}]}
                ], "input_layers": [["x", 0, 0]], "output_layers": [["head", 0, 0]]}}""";
        Path weights = tmp.resolve("model.weights.h5");
        try (WritableHdfFile h = HdfFile.write(weights)) {
            WritableGroup layers = h.putGroup("layers");
            layers.putGroup("input_layer").putGroup("vars");
            WritableGroup innerDense = layers.putGroup("sequential").putGroup("layers").putGroup("dense").putGroup("vars");
            innerDense.putDataset("0", reshape(k1));
            innerDense.putDataset("1", b1.data());
            WritableGroup head = layers.putGroup("dense").putGroup("vars");
            head.putDataset("0", reshape(k2));
            head.putDataset("1", b2.data());
        }
        Path archive = tmp.resolve("nested.keras");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(archive))) {
            put(z, "metadata.json", "{\"keras_version\": \"3.4.1\"}".getBytes(StandardCharsets.UTF_8));
            put(z, "config.json", config.getBytes(StandardCharsets.UTF_8));
            put(z, "model.weights.h5", Files.readAllBytes(weights));
        }
        try (Model m = new KerasImporter().read(archive)) {
            assertClose(expected(), TestModels.runNative(m, x, 2, 4), 1e-6);
        }
    }

    @Test
    void legacyH5WithNestedSequential() throws IOException {
        String config = """
                {"class_name": "Model", "config": {"name": "outer", "layers": [
                  {"class_name": "InputLayer", "name": "x", "inbound_nodes": [], "config": {"batch_input_shape": [null, 4], "dtype": "float32", "name": "x"}},
                  {"class_name": "Sequential", "name": "inner", "config": {"name": "inner", "layers": [
                      {"class_name": "Dense", "config": {"name": "d_in", "units": 3, "activation": "relu", "batch_input_shape": [null, 4]}}]},
                   "inbound_nodes": [[["x", 0, 0, {}]]]},
                  {"class_name": "Dense", "name": "head", "config": {"name": "head", "units": 2}, "inbound_nodes": [[["inner", 0, 0, {}]]]}
                ], "input_layers": [["x", 0, 0]], "output_layers": [["head", 0, 0]]}}""";
        Path f = tmp.resolve("nested.h5");
        try (WritableHdfFile h = HdfFile.write(f)) {
            h.putAttribute("model_config", config);
            h.putAttribute("keras_version", "2.4.0");
            WritableGroup mw = h.putGroup("model_weights");
            mw.putAttribute("layer_names", new String[] {"x", "inner", "head"});
            mw.putGroup("x"); // no weights: no weight_names
            WritableGroup inner = mw.putGroup("inner");
            inner.putAttribute("weight_names", new String[] {"d_in/kernel:0", "d_in/bias:0"});
            WritableGroup dIn = inner.putGroup("d_in");
            dIn.putDataset("kernel:0", reshape(k1));
            dIn.putDataset("bias:0", b1.data());
            WritableGroup head = mw.putGroup("head");
            head.putAttribute("weight_names", new String[] {"head/kernel:0", "head/bias:0"});
            WritableGroup hh = head.putGroup("head");
            hh.putDataset("kernel:0", reshape(k2));
            hh.putDataset("bias:0", b2.data());
        }
        try (Model m = new KerasImporter().read(f)) {
            assertClose(expected(), TestModels.runNative(m, x, 2, 4), 1e-6);
        }
    }

    private static float[][] reshape(Weight w) {
        int rows = (int) w.dim(0), cols = (int) w.dim(1);
        float[][] r = new float[rows][cols];
        for (int i = 0; i < rows; i++) System.arraycopy(w.data(), i * cols, r[i], 0, cols);
        return r;
    }

    private static void put(ZipOutputStream z, String name, byte[] data) throws IOException {
        z.putNextEntry(new ZipEntry(name));
        z.write(data);
        z.closeEntry();
    }
}
