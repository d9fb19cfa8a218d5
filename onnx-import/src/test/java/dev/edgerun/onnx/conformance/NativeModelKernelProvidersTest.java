package dev.edgerun.onnx.conformance;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every reference model of {@code $EDGERUN_SHARED/models} on the native engine with the oneDNN
 * kernels forced ({@code -Dedgerun.kernels=onednn}) matches the outputs PyTorch computed, with 1
 * and 2 threads. Skips when oneDNN cannot be loaded, or fails when
 * {@code EDGERUN_REQUIRE_NATIVE_KERNELS=1}.
 */
class NativeModelOneDnnTest {
    private static final ValueComparison.Tolerance TOLERANCE = new ValueComparison.Tolerance(1e-3, 1e-4);
    private static String previous;

    @BeforeAll
    static void forceOneDnn() {
        previous = System.setProperty(KernelSelection.PROPERTY, "onednn");
        KernelSelection.resetDefaults();
    }

    @AfterAll
    static void restore() {
        if (previous == null) System.clearProperty(KernelSelection.PROPERTY);
        else System.setProperty(KernelSelection.PROPERTY, previous);
        KernelSelection.resetDefaults();
    }

    @TestFactory
    Stream<DynamicTest> referenceModels() {
        KernelProvider onednn = KernelSelection.defaults().providers().stream()
                .filter(p -> p.name().equals("onednn")).findFirst().orElse(null);
        if (onednn == null) {
            String message = "oneDNN kernel provider unavailable (libdnnl.so.2 not loadable or not 2.x)";
            String require = System.getenv("EDGERUN_REQUIRE_NATIVE_KERNELS");
            if ("1".equals(require) || "true".equalsIgnoreCase(require)) fail(message);
            assumeTrue(false, message + "; skipping");
        }
        Path dir = ConformanceSupport.shared("models");
        return ConformanceSupport.testFolders(dir).stream().flatMap(f -> Stream.of(1, 2).map(threads ->
                DynamicTest.dynamicTest(f.getFileName() + " onednn (" + threads + " thread" + (threads > 1 ? "s)" : ")"),
                        f.toUri(), () -> {
                            SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
                            assertNull(ConformanceSupport.check(f, TOLERANCE, options), f.getFileName().toString());
                        })));
    }
}
