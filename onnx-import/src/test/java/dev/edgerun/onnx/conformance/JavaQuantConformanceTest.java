package dev.edgerun.onnx.conformance;

import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The ONNX node tests of the 8-bit operators (QLinearConv, ConvInteger, QLinearMatMul,
 * MatMulInteger) and of QuantizeLinear/DequantizeLinear on the native engine with the Java kernels
 * forced ({@code -Dedgerun.kernels=java}) at 1 and 2 threads, as {@link OneDnnQuantConformanceTest}
 * does with oneDNN: the results are ONNX's whatever kernels the machine would pick.
 */
class JavaQuantConformanceTest {
    private static final Pattern FOLDERS = Pattern.compile(
            "test_(qlinearconv|convinteger|qlinearmatmul|matmulinteger|quantizelinear|dequantizelinear)(_.*)?");

    @TestFactory
    Stream<DynamicTest> quantizedNodeTests() {
        return ConformanceSupport.testsWithKernels("java", "testdata/onnx-node", FOLDERS, NativeConformanceTest.DEFAULT);
    }
}
