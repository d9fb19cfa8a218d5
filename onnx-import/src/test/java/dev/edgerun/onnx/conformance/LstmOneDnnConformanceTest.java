package dev.edgerun.onnx.conformance;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * ONNX's LSTM conformance folders ({@code test_lstm_*}) on the native engine with oneDNN forced
 * ({@code -Dedgerun.kernels=onednn}), 1 and 2 threads: test_lstm_defaults and
 * test_lstm_with_initial_bias run on oneDNN's LSTM primitive (DnnlLstmKernel, W, R and B arriving
 * at run time: gate-ordered and reordered per run), test_lstm_batchwise (layout 1) and
 * test_lstm_with_peepholes (peepholes, sequence_lens given at run time) on the Java LSTM. oneDNN
 * that cannot be loaded skips, or fails when {@code EDGERUN_REQUIRE_NATIVE_KERNELS=1}.
 */
class LstmOneDnnConformanceTest {
    @AfterEach
    void restoreDefaults() {
        System.clearProperty(KernelSelection.PROPERTY);
        KernelSelection.resetDefaults();
    }

    @TestFactory
    Stream<DynamicTest> lstmFolders() {
        Path dir = ConformanceSupport.shared("testdata/onnx-node");
        return ConformanceSupport.testFolders(dir).stream()
                .filter(f -> f.getFileName().toString().startsWith("test_lstm_"))
                .flatMap(f -> Stream.of(1, 2).map(threads -> DynamicTest.dynamicTest(
                        f.getFileName() + " onednn (" + threads + " thread" + (threads > 1 ? "s)" : ")"), f.toUri(),
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
