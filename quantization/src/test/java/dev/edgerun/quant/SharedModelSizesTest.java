package dev.edgerun.quant;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.ir.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * File sizes of quantized mobilenet_v2 and resnet18 against the float files: int8 (dynamic and
 * static) at most 0.27x, fp16 at most 0.52x. Static calibration uses the model's own test data set.
 */
class SharedModelSizesTest {

    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v2", "resnet18"})
    void int8AtMostPoint27AndFp16AtMostPoint52OfTheFloatFile(String name) throws IOException {
        Path dir = TestModels.shared("models/" + name);
        long floatBytes = Files.size(dir.resolve("model.onnx"));
        try (Model model = OnnxModels.read(dir.resolve("model.onnx"));
             DataFolder data = DataFolder.read(dir, model.graph().requiredInputs())) {
            Quantizer.Prepared prepared = new Quantizer.Prepared(model, data);
            for (QuantMode mode : new QuantMode[] {QuantMode.DYNAMIC, QuantMode.STATIC, QuantMode.FP16}) {
                try (Quantizer.Result q = prepared.quantize(QuantOptions.builder(mode).build())) {
                    double ratio = OnnxModels.write(q.model()).length / (double) floatBytes;
                    double limit = mode == QuantMode.FP16 ? 0.52 : 0.27;
                    System.out.printf("%s %s: %.4fx of %d bytes%n", name, mode.cliName(), ratio, floatBytes);
                    assertTrue(ratio <= limit, name + " " + mode.cliName() + ": " + ratio + "x > " + limit + "x");
                }
            }
        }
    }
}
