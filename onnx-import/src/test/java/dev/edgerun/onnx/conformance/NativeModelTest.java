package dev.edgerun.onnx.conformance;

import static org.junit.jupiter.api.Assertions.assertNull;

import dev.edgerun.runtime.SessionOptions;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every reference model of {@code $EDGERUN_SHARED/models} on the native engine matches the outputs
 * PyTorch computed (rtol 1e-3, atol 1e-4), with 1 and with 2 threads.
 */
class NativeModelTest {
    private static final ValueComparison.Tolerance TOLERANCE = new ValueComparison.Tolerance(1e-3, 1e-4);

    @TestFactory
    Stream<DynamicTest> referenceModels() {
        Path dir = ConformanceSupport.shared("models");
        return ConformanceSupport.testFolders(dir).stream().flatMap(f -> Stream.of(1, 2).map(threads ->
                DynamicTest.dynamicTest(f.getFileName() + " (" + threads + " thread" + (threads > 1 ? "s)" : ")"),
                        f.toUri(), () -> {
                            SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
                            assertNull(ConformanceSupport.check(f, TOLERANCE, options), f.getFileName().toString());
                        })));
    }
}
