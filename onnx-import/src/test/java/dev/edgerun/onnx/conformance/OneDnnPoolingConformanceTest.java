package dev.edgerun.onnx.conformance;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.nio.file.Path;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
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

    @AfterEach
    void restoreDefaults() {
        System.clearProperty(KernelSelection.PROPERTY);
        KernelSelection.resetDefaults();
    }

    @TestFactory
    Stream<DynamicTest> poolingNodeTests() {
        Path dir = ConformanceSupport.shared("testdata/onnx-node");
        return ConformanceSupport.testFolders(dir).stream()
                .filter(f -> POOLING.matcher(f.getFileName().toString()).matches())
                .flatMap(f -> Stream.of(1, 2).map(threads -> DynamicTest.dynamicTest(
                        f.getFileName() + " onednn (" + threads + " thread" + (threads > 1 ? "s)" : ")"), f.toUri(),
                        () -> check(f, threads))));
    }

    private static void check(Path folder, int threads) {
        System.setProperty(KernelSelection.PROPERTY, "onednn");
        KernelSelection.resetDefaults();
        if (KernelSelection.defaults().provider("onednn").isEmpty()) {
            String message = "oneDNN kernel provider unavailable (library not loadable or wrong version)";
            String require = System.getenv("EDGERUN_REQUIRE_NATIVE_KERNELS");
            if ("1".equals(require) || "true".equalsIgnoreCase(require)) fail(message);
            org.junit.jupiter.api.Assumptions.assumeTrue(false, message + "; skipping");
        }
        SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
        assertNull(ConformanceSupport.check(folder, NativeConformanceTest.DEFAULT, options), folder.getFileName() + " with onednn");
    }
}
