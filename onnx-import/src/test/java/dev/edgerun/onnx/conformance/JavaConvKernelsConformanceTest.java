package dev.edgerun.onnx.conformance;

import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * ONNX's Conv node tests and the convolutional reference models on the native engine with the Java
 * kernels forced ({@code -Dedgerun.kernels=java}) at 1 and 2 threads, so that the Java convolution
 * kernels (F32ConvKernel and its direct, implicit and few-positions paths, the depthwise kernels)
 * are checked whatever kernels the machine would pick. The node tests give W as a run-time input;
 * the models' constant weights take the paths that need them.
 */
class JavaConvKernelsConformanceTest {
    private static final Pattern FOLDERS = Pattern.compile("test_(basic_conv|conv)(_.*)?");
    private static final Pattern MODELS = Pattern.compile("kws_dscnn|mobilenet_v2|resnet18|conv_autoencoder|digits_cnn");
    /** As NativeModelKernelProvidersTest: the models' outputs against PyTorch's. */
    private static final ValueComparison.Tolerance MODEL_TOLERANCE = new ValueComparison.Tolerance(1e-3, 1e-4);

    @TestFactory
    Stream<DynamicTest> convolutionNodeTests() {
        return ConformanceSupport.testsWithKernels("java", "testdata/onnx-node", FOLDERS, NativeConformanceTest.DEFAULT);
    }

    @TestFactory
    Stream<DynamicTest> convolutionalModels() {
        return ConformanceSupport.testsWithKernels("java", "models", MODELS, MODEL_TOLERANCE);
    }
}
