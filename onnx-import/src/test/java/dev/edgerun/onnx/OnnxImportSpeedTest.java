package dev.edgerun.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.ir.Model;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** resnet18 (47 MB of weights) imports completely, repeatedly; the best time is printed, not asserted (noisy machines). */
class OnnxImportSpeedTest {

    @Test
    void resnet18ImportsRepeatedlyAndReportsItsTime() {
        Path file = SharedData.root().resolve("models/resnet18/model.onnx");
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 6; i++) {
            long t0 = System.nanoTime();
            try (Model m = OnnxModels.read(file)) {
                assertEquals(11_684_712L, m.graph().parameterCount());
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        System.out.printf("resnet18 import: best of 6 = %.1f ms%n", best / 1e6);
    }
}
