package dev.edgerun.onnx.conformance;

import static org.junit.jupiter.api.Assertions.assertNull;

import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every reference model of {@code $EDGERUN_SHARED/models} on the native engine with each native
 * kernel library forced ({@code -Dedgerun.kernels=onednn}, {@code =xnnpack}) matches the outputs
 * PyTorch computed, with 1 and 2 threads. A library that cannot be loaded skips its models, or
 * fails them when {@code EDGERUN_REQUIRE_NATIVE_KERNELS=1}.
 */
class NativeModelKernelProvidersTest {
    private static final ValueComparison.Tolerance TOLERANCE = new ValueComparison.Tolerance(1e-3, 1e-4);

    @AfterEach
    void restoreDefaults() {
        System.clearProperty(KernelSelection.PROPERTY);
        KernelSelection.resetDefaults();
    }

    @TestFactory
    Stream<DynamicTest> referenceModels() {
        Path dir = ConformanceSupport.shared("models");
        return Stream.of("onednn", "xnnpack").flatMap(provider -> ConformanceSupport.testFolders(dir).stream()
                .flatMap(f -> Stream.of(1, 2).map(threads -> DynamicTest.dynamicTest(
                        f.getFileName() + " " + provider + " (" + threads + " thread" + (threads > 1 ? "s)" : ")"),
                        f.toUri(), () -> check(provider, f, threads)))));
    }

    private static void check(String provider, Path folder, int threads) {
        String previous = System.setProperty(KernelSelection.PROPERTY, provider);
        KernelSelection.resetDefaults();
        try {
            ConformanceSupport.assumeProviderLoaded(provider);
            SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
            assertNull(ConformanceSupport.check(folder, TOLERANCE, options), folder.getFileName() + " with " + provider);
        } finally {
            if (previous == null) System.clearProperty(KernelSelection.PROPERTY);
            else System.setProperty(KernelSelection.PROPERTY, previous);
            KernelSelection.resetDefaults();
        }
    }
}
