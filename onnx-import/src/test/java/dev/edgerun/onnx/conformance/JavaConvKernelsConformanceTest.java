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
 * ONNX's Conv node tests on the native engine with the Java kernels forced
 * ({@code -Dedgerun.kernels=java}) at 1 and 2 threads, so that the Java convolution kernels
 * (F32ConvKernel and its direct, implicit and few-positions paths, the depthwise kernels) are
 * checked on the conformance data whatever kernels the machine would pick. These tests give W as
 * a run-time input: the paths that need constant weights are checked by the runtime module's
 * F32ConvKernelTest and on the reference models (NativeModelKernelProvidersTest).
 */
class JavaConvKernelsConformanceTest {
    private static final Pattern FOLDERS = Pattern.compile("test_(basic_conv|conv)(_.*)?");

    @TestFactory
    Stream<DynamicTest> convolutionNodeTests() {
        Path dir = ConformanceSupport.shared("testdata/onnx-node");
        return ConformanceSupport.testFolders(dir).stream()
                .filter(f -> FOLDERS.matcher(f.getFileName().toString()).matches())
                .flatMap(f -> Stream.of(1, 2).map(threads -> DynamicTest.dynamicTest(
                        f.getFileName() + " java (" + threads + " thread" + (threads > 1 ? "s)" : ")"),
                        f.toUri(), () -> check(f, threads))));
    }

    private static void check(Path folder, int threads) {
        String previous = System.setProperty(KernelSelection.PROPERTY, "java");
        KernelSelection.resetDefaults();
        try {
            SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
            assertNull(ConformanceSupport.check(folder, NativeConformanceTest.DEFAULT, options),
                    folder.getFileName() + " with kernels java");
        } finally {
            if (previous == null) System.clearProperty(KernelSelection.PROPERTY);
            else System.setProperty(KernelSelection.PROPERTY, previous);
            KernelSelection.resetDefaults();
        }
    }
}
