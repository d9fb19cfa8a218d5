package dev.edgerun.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.onnx.proto.Onnx.ModelProto;
import dev.edgerun.runtime.ir.Model;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * ONNX → IR → ONNX for every model in the shared data: the written model must equal the original
 * in every node (in order, with all attributes), initializer (by decoded value), opset import,
 * metadata entry, input/output/value_info type and function.
 */
class OnnxRoundTripTest {

    @TestFactory
    Stream<DynamicTest> referenceModels() {
        return roundTrips(SharedData.modelFolders("models"));
    }

    @TestFactory
    Stream<DynamicTest> onnxNodeTests() {
        List<Path> folders = SharedData.modelFolders("testdata/onnx-node");
        assertTrue(folders.size() > 1000, "expected the ONNX node suite, found " + folders.size() + " folders");
        return roundTrips(folders);
    }

    /** The comparison itself must see changes, or the round trips above would prove nothing. */
    @org.junit.jupiter.api.Test
    void diffSeesChangedAttributesInitializersAndTypes() {
        ModelProto m = OnnxValidationTest.validModel().build();
        assertTrue(ModelProtoDiff.diff(m, m).isEmpty());
        ModelProto.Builder b = m.toBuilder();
        b.getGraphBuilder().getNodeBuilder(1).addAttribute(dev.edgerun.onnx.proto.Onnx.AttributeProto.newBuilder()
                .setName("alpha").setType(dev.edgerun.onnx.proto.Onnx.AttributeProto.AttributeType.FLOAT).setF(0.5f));
        assertTrue(ModelProtoDiff.diff(m, b.build()).toString().contains("attribute names"));
        b = m.toBuilder();
        b.getGraphBuilder().setInitializer(0, OnnxValidationTest.weight("w", 1, 2, 4));
        assertTrue(ModelProtoDiff.diff(m, b.build()).toString().contains("initializer 'w' element bytes"));
        b = m.toBuilder();
        b.getGraphBuilder().setInput(0, OnnxValidationTest.floatValue("x", 4));
        assertTrue(ModelProtoDiff.diff(m, b.build()).toString().contains("inputs 'x' type"));
        b = m.toBuilder().clearMetadataProps();
        assertTrue(ModelProtoDiff.diff(m, b.build()).toString().contains("metadata_props"));
    }

    private static Stream<DynamicTest> roundTrips(List<Path> folders) {
        return folders.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> roundTrip(dir)));
    }

    private static void roundTrip(Path dir) {
        Path file = dir.resolve("model.onnx");
        ModelProto original = OnnxModels.parse(file);
        byte[] written;
        try (Model model = OnnxModels.read(file)) {
            assertEquals(file, model.source().file());
            written = OnnxModels.write(model);
        }
        ModelProto copy = OnnxModels.parse(written, "written");
        List<String> diffs = ModelProtoDiff.diff(original, copy);
        assertTrue(diffs.isEmpty(), () -> file + " changed in the round trip:\n  " + String.join("\n  ", diffs));
        // and the written bytes read again into the same IR shape
        try (Model again = OnnxModels.read(written)) {
            assertEquals(original.getGraph().getNodeCount(), again.graph().nodes().size());
        }
    }
}
