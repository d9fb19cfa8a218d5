package dev.edgerun.onnx.conformance;

import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * ONNX's node tests of MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool on the native
 * engine with oneDNN forced ({@code -Dedgerun.kernels=onednn}), where the float pools run on
 * oneDNN's pooling primitive, with 1 and 2 threads. Skipped when oneDNN cannot be loaded, failed
 * then when {@code EDGERUN_REQUIRE_NATIVE_KERNELS=1}.
 */
class OneDnnPoolingConformanceTest {
    private static final Pattern POOLING = Pattern.compile("test_(maxpool|averagepool|globalaveragepool|globalmaxpool).*");

    @TestFactory
    Stream<DynamicTest> poolingNodeTests() {
        return ConformanceSupport.nodeTestsWithOneDnn(POOLING);
    }
}
