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
 * The ONNX conformance folders of the element-wise binaries (Add, Sub, Mul, Div, and Max and Min,
 * which stay in Java) and of Relu, with oneDNN forced ({@code -Dedgerun.kernels=onednn}), so that
 * the float32 Add, Sub, Mul and Div nodes of every size take its binary primitive, at 1 and 2 threads. oneDNN missing skips them, or
 * fails them when {@code EDGERUN_REQUIRE_NATIVE_KERNELS=1}.
 */
class OneDnnElementwiseConformanceTest {
    private static final Pattern FOLDERS = Pattern.compile("test_(add|sub|mul|div|max|min|relu)(_.*)?");

    @AfterEach
    void restoreDefaults() {
        System.clearProperty(KernelSelection.PROPERTY);
        KernelSelection.resetDefaults();
    }

    @TestFactory
    Stream<DynamicTest> elementwiseFoldersWithOneDnn() {
        Path dir = ConformanceSupport.shared("testdata/onnx-node");
        return ConformanceSupport.testFolders(dir).stream()
                .filter(f -> FOLDERS.matcher(f.getFileName().toString()).matches())
                .flatMap(f -> Stream.of(1, 2).map(threads -> DynamicTest.dynamicTest(
                        f.getFileName() + " (" + threads + " thread" + (threads > 1 ? "s)" : ")"), f.toUri(),
                        () -> check(f, threads))));
    }

    private static void check(Path folder, int threads) {
        System.setProperty(KernelSelection.PROPERTY, "onednn");
        KernelSelection.resetDefaults();
        if (KernelSelection.defaults().providers().stream().noneMatch(p -> p.name().equals("onednn"))) {
            String message = "onednn kernel provider unavailable (library not loadable or wrong version)";
            String require = System.getenv("EDGERUN_REQUIRE_NATIVE_KERNELS");
            if ("1".equals(require) || "true".equalsIgnoreCase(require)) fail(message);
            org.junit.jupiter.api.Assumptions.assumeTrue(false, message + "; skipping");
        }
        SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
        assertNull(ConformanceSupport.check(folder, NativeConformanceTest.DEFAULT, options), folder.getFileName() + " with onednn");
    }
}
