package dev.edgerun.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.onnx.TensorProtos;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every reference model of {@code $EDGERUN_SHARED/models} through ONNX Runtime matches the
 * outputs PyTorch computed. Tolerance rtol 1e-4, atol 1e-5, as models/README.md advises (a strict
 * 1e-6 atol fails on a few near-zero mobilenet_v2 logits). Each model runs twice: from its file
 * (the unchanged path) and written back from the IR (the path every transformed model takes).
 */
class ReferenceModelsOnOrtTest {
    private static final double RTOL = 1e-4;
    private static final double ATOL = 1e-5;

    @TestFactory
    Stream<DynamicTest> everyReferenceModelMatchesPyTorch() {
        List<Path> folders = SharedData.modelFolders(SharedData.folder("models"));
        assertFalse(folders.isEmpty(), "no models in the shared models folder");
        return folders.stream().flatMap(f -> Stream.of(
                DynamicTest.dynamicTest(f.getFileName() + " (original file)", () -> check(f, false)),
                DynamicTest.dynamicTest(f.getFileName() + " (written back from the IR)", () -> check(f, true))));
    }

    private static void check(Path folder, boolean fromIr) {
        SessionOptions options = SessionOptions.builder().engine("onnxruntime").threads(2).build();
        try (Model original = OnnxModels.read(folder.resolve("model.onnx"))) {
            Model model = fromIr ? original.toBuilder().build() : original; // toBuilder drops the source
            assertEquals(fromIr, model.source() == null);
            try (Session session = Edgerun.session(model, options)) {
                for (Path set : SharedData.dataSets(folder)) checkDataSet(session, set);
            }
        }
    }

    private static void checkDataSet(Session session, Path set) {
        List<Value> inputs = session.inputs();
        Map<String, Tensor> feed = new LinkedHashMap<>();
        List<Path> inputFiles = SharedData.valueFiles(set, "input");
        List<Path> outputFiles = SharedData.valueFiles(set, "output");
        try {
            for (int i = 0; i < inputFiles.size(); i++) feed.put(inputs.get(i).name(), TensorProtos.read(inputFiles.get(i)));
            try (RunResult result = session.run(feed)) {
                assertEquals(outputFiles.size(), result.size());
                for (int i = 0; i < outputFiles.size(); i++) {
                    try (Tensor expected = TensorProtos.read(outputFiles.get(i))) {
                        assertNull(Closeness.mismatch(expected, result.get(i), RTOL, ATOL),
                                set + " output " + result.names().get(i));
                    }
                }
            }
        } finally {
            feed.values().forEach(Tensor::close);
        }
    }
}
