package dev.edgerun.onnx.conformance;

import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The ONNX node tests of the 8-bit operators (QLinearConv, ConvInteger, QLinearMatMul,
 * MatMulInteger) at 1 and 2 threads with oneDNN forced: where oneDNN declines a node (uint8
 * weights, weights given at run time), the Java kernels run it, and either way the results are
 * ONNX's.
 */
class OneDnnQuantConformanceTest {
    private static final Pattern FOLDERS = Pattern.compile("test_(qlinearconv|convinteger|qlinearmatmul|matmulinteger)(_.*)?");

    @TestFactory
    Stream<DynamicTest> quantizedNodeTests() {
        return ConformanceSupport.nodeTestsWithOneDnn(FOLDERS);
    }
}
