package dev.edgerun.onnx.conformance;

import static org.junit.jupiter.api.Assertions.assertNull;

import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.nio.file.Path;
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
    private static final Pattern MODELS = Pattern.compile("kws_dscnn|mobilenet_v2|conv_autoencoder|digits_cnn");
    /** As NativeModelKernelProvidersTest: the models' outputs against PyTorch's. */
    private static final ValueComparison.Tolerance MODEL_TOLERANCE = new ValueComparison.Tolerance(1e-3, 1e-4);

    @TestFactory
    Stream<DynamicTest> convolutionNodeTests() {
        Path dir = ConformanceSupport.shared("testdata/onnx-node");
        return ConformanceSupport.testFolders(dir).stream()
                .filter(f -> FOLDERS.matcher(f.getFileName().toString()).matches())
                .flatMap(f -> Stream.of(1, 2).map(threads -> DynamicTest.dynamicTest(
                        f.getFileName() + " java (" + threads + " thread" + (threads > 1 ? "s)" : ")"),
                        f.toUri(), () -> check(f, NativeConformanceTest.DEFAULT, threads))));
    }

    @TestFactory
    Stream<DynamicTest> convolutionalModels() {
        Path dir = ConformanceSupport.shared("models");
        return ConformanceSupport.testFolders(dir).stream()
                .filter(f -> MODELS.matcher(f.getFileName().toString()).matches())
                .flatMap(f -> Stream.of(1, 2).map(threads -> DynamicTest.dynamicTest(
                        f.getFileName() + " java (" + threads + " thread" + (threads > 1 ? "s)" : ")"),
                        f.toUri(), () -> check(f, MODEL_TOLERANCE, threads))));
    }

    private static void check(Path folder, ValueComparison.Tolerance tolerance, int threads) {
        String previous = System.setProperty(KernelSelection.PROPERTY, "java");
        KernelSelection.resetDefaults();
        try {
            SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
            assertNull(ConformanceSupport.check(folder, tolerance, options),
                    folder.getFileName() + " with kernels java");
        } finally {
            if (previous == null) System.clearProperty(KernelSelection.PROPERTY);
            else System.setProperty(KernelSelection.PROPERTY, previous);
            KernelSelection.resetDefaults();
        }
    }
}
