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
 * ONNX's Conv and ConvTranspose node tests on the native engine with oneDNN forced
 * ({@code -Dedgerun.kernels=onednn}) and with automatic selection, 1 and 2 threads. These tests
 * give W as a run-time input, so oneDNN's constant-weight convolution kernels decline them and
 * the operators' own paths run: the kernels themselves are checked against references in the
 * runtime module's tests (DnnlDeconvKernelTest, DnnlPointwiseConvKernelTest, OneDnnKernelsTest)
 * and on the reference models (NativeModelKernelProvidersTest).
 */
class NativeConvKernelProvidersTest {
    private static final Pattern FOLDERS = Pattern.compile("test_(basic_conv|conv|convtranspose)(_.*)?");

    @TestFactory
    Stream<DynamicTest> convolutionNodeTests() {
        Path dir = ConformanceSupport.shared("testdata/onnx-node");
        return Stream.of("onednn", "auto").flatMap(kernels -> ConformanceSupport.testFolders(dir).stream()
                .filter(f -> FOLDERS.matcher(f.getFileName().toString()).matches())
                .flatMap(f -> Stream.of(1, 2).map(threads -> DynamicTest.dynamicTest(
                        f.getFileName() + " " + kernels + " (" + threads + " thread" + (threads > 1 ? "s)" : ")"),
                        f.toUri(), () -> check(kernels, f, threads)))));
    }

    private static void check(String kernels, Path folder, int threads) {
        String previous = System.setProperty(KernelSelection.PROPERTY, kernels);
        KernelSelection.resetDefaults();
        try {
            SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
            assertNull(ConformanceSupport.check(folder, NativeConformanceTest.DEFAULT, options),
                    folder.getFileName() + " with kernels " + kernels);
        } finally {
            if (previous == null) System.clearProperty(KernelSelection.PROPERTY);
            else System.setProperty(KernelSelection.PROPERTY, previous);
            KernelSelection.resetDefaults();
        }
    }
}
