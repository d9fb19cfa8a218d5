package dev.edgerun.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestCaseFolderTest {

    @Test
    void readsReferenceModelDataSets() {
        TestCaseFolder folder = TestCaseFolder.open(SharedData.root().resolve("models/mobilenet_v2_dynbatch"));
        assertEquals("mobilenet_v2_dynbatch", folder.name());
        assertEquals("model.onnx", folder.modelFile().getFileName().toString());
        try (Model model = OnnxModels.read(folder.modelFile())) {
            List<TestCaseFolder.DataSet> sets = folder.readDataSets(model);
            try {
                assertEquals(List.of("test_data_set_0", "test_data_set_1"), sets.stream().map(TestCaseFolder.DataSet::name).toList());
                Tensor in1 = sets.get(1).inputTensors().get("input");
                Tensor out1 = sets.get(1).expectedTensors().get("output");
                assertEquals(Shape.of(4, 3, 224, 224), in1.shape());
                assertEquals(Shape.of(4, 1000), out1.shape());
                assertEquals(DType.FLOAT, out1.dtype());
                assertTrue(sets.get(0).allTensors());
            } finally {
                sets.forEach(TestCaseFolder.DataSet::close);
            }
        }
    }

    @Test
    void readsSequenceAndOptionalValuesByModelType() {
        Path node = SharedData.root().resolve("testdata/onnx-node");
        TestCaseFolder seq = TestCaseFolder.open(node.resolve("test_sequence_map_identity_1_sequence"));
        try (Model model = OnnxModels.read(seq.modelFile());
             TestCaseFolder.DataSet set = seq.readDataSets(model).get(0)) {
            Object in = set.inputs().values().iterator().next();
            assertTrue(in instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Tensor, "a sequence of tensors: " + in);
            assertFalse(set.allTensors());
            assertThrows(IllegalStateException.class, set::inputTensors);
        }
        TestCaseFolder empty = TestCaseFolder.open(node.resolve("test_optional_has_element_empty_optional_input"));
        try (Model model = OnnxModels.read(empty.modelFile());
             TestCaseFolder.DataSet set = empty.readDataSets(model).get(0)) {
            assertEquals(1, set.inputs().size());
            assertNull(set.inputs().values().iterator().next(), "an empty optional reads as null");
            try (Tensor hasElement = set.expectedTensors().values().iterator().next()) {
                assertArrayEquals(new boolean[] {false}, hasElement.toBooleanArray());
            }
        }
    }

    @Test
    void topLevelNpyFilesInNumericOrder(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("model.onnx"), OnnxValidationTest.validModel().build().toByteArray());
        for (int i = 0; i < 11; i++) {
            try (Tensor t = Tensor.of(new float[] {i}, 1)) {
                Npy.write(t, dir.resolve("input_" + i + ".npy"));
            }
        }
        try (Tensor y = Tensor.of(new float[] {7, 8, 9}, 3)) {
            Npy.write(y, dir.resolve("output_0.npy"));
        }
        TestCaseFolder folder = TestCaseFolder.open(dir);
        List<Value> inputs = new java.util.ArrayList<>();
        for (int i = 0; i < 11; i++) inputs.add(Value.tensor("in" + i, DType.FLOAT, 1));
        List<TestCaseFolder.DataSet> sets = folder.readDataSets(inputs, List.of(Value.tensor("y", DType.FLOAT, 3)));
        assertEquals(1, sets.size());
        try (TestCaseFolder.DataSet set = sets.get(0)) {
            assertEquals(folder.name(), set.name());
            assertEquals(10f, set.inputTensors().get("in10").getFloat(0), "input_10 is the eleventh input, not the third");
            assertEquals(2f, set.inputTensors().get("in2").getFloat(0));
            assertArrayEquals(new float[] {7, 8, 9}, set.expectedTensors().get("y").toFloatArray());
        }
        // more files than the model has inputs: named error
        try (Model model = OnnxModels.read(folder.modelFile())) {
            var e = assertThrows(ModelFormatException.class, () -> folder.readDataSets(model));
            assertTrue(e.getMessage().contains("input_1.npy") && e.getMessage().contains("no counterpart"), e.getMessage());
        }
    }

    @Test
    void tensorProtoNamesChooseTheInput(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("model.onnx"), OnnxValidationTest.validModel().build().toByteArray());
        Path set = Files.createDirectories(dir.resolve("test_data_set_0"));
        try (Tensor b = Tensor.of(new float[] {2}, 1); Tensor a = Tensor.of(new float[] {1}, 1)) {
            Files.write(set.resolve("input_0.pb"), TensorProtos.toProto("b", b).toByteArray());
            Files.write(set.resolve("input_1.pb"), TensorProtos.toProto("", a).toByteArray());
        }
        List<Value> inputs = List.of(Value.tensor("a", DType.FLOAT, 1), Value.tensor("b", DType.FLOAT, 1));
        try (TestCaseFolder.DataSet s = TestCaseFolder.open(dir).readDataSets(inputs, List.of()).get(0)) {
            assertEquals(2f, s.inputTensors().get("b").getFloat(0), "named by the proto");
            assertEquals(List.of("b", "a"), List.copyOf(s.inputs().keySet()));
        }
    }

    @Test
    void oneCasePerModelFileWhenAFolderHoldsSeveralFormats(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("model.keras"), new byte[] {1});
        Files.write(dir.resolve("model.h5"), new byte[] {2});
        List<TestCaseFolder> cases = TestCaseFolder.openEach(dir);
        assertEquals(2, cases.size());
        String folder = dir.getFileName().toString();
        assertEquals(folder + "/model.keras", cases.get(0).name());
        assertEquals(dir.resolve("model.keras"), cases.get(0).modelFile());
        assertEquals(folder + "/model.h5", cases.get(1).name());
        assertEquals(dir.resolve("model.h5"), cases.get(1).modelFile());
    }

    @Test
    void aFolderWithOneModelKeepsItsPlainName(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("model.onnx"), new byte[] {1});
        List<TestCaseFolder> cases = TestCaseFolder.openEach(dir);
        assertEquals(1, cases.size());
        assertEquals(dir.getFileName().toString(), cases.get(0).name());
    }

    @Test
    void folderWithoutModel(@TempDir Path dir) {
        assertFalse(TestCaseFolder.isTestCaseFolder(dir));
        var e = assertThrows(ModelFormatException.class, () -> TestCaseFolder.open(dir));
        assertTrue(e.getMessage().contains("no model file"), e.getMessage());
    }
}
