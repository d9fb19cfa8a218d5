package dev.edgerun.onnx.conformance;

import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The ONNX conformance folders of the element-wise binaries (Add, Sub, Mul, Div, and Max and Min,
 * which stay in Java) and of Relu, with oneDNN forced ({@code -Dedgerun.kernels=onednn}), so that
 * the float32 Add, Sub, Mul and Div nodes of every size take its binary primitive, at 1 and 2 threads. oneDNN missing skips them, or
 * fails them when {@code EDGERUN_REQUIRE_NATIVE_KERNELS=1}.
 */
class OneDnnElementwiseConformanceTest {
    private static final Pattern FOLDERS = Pattern.compile("test_(add|sub|mul|div|max|min|relu)(_.*)?");

    @TestFactory
    Stream<DynamicTest> elementwiseFoldersWithOneDnn() {
        return ConformanceSupport.nodeTestsWithOneDnn(FOLDERS);
    }
}
