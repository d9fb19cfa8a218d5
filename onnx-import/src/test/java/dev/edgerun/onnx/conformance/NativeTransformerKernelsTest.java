package dev.edgerun.onnx.conformance;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.nativelib.ColdStart;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The conformance folders of the operators whose transformer kernels run on oneDNN (MatMul with
 * folded Transposes, division and Softmax; the exact GELU after a MatMul; LayerNormalization), and
 * the tiny_transformer reference model, with oneDNN forced ({@code -Dedgerun.kernels=onednn}) at 1
 * and 2 threads: the operator folders with oneDNN's transformer kernels on every run, the model
 * also with the Java kernels they hand over to ({@link ColdStart}). A folder on the native exclusion list is skipped with its reason; an unloadable
 * oneDNN skips everything, or fails it when {@code EDGERUN_REQUIRE_NATIVE_KERNELS=1}.
 */
class NativeTransformerKernelsTest {
    private static final Pattern FOLDERS = Pattern.compile("test_(matmul|softmax|layer_normalization|gelu|attention)_.*");
    private static final ConformanceSupport.Exclusions EXCLUSIONS =
            ConformanceSupport.Exclusions.load("/conformance/native-exclusions.txt");

    /** {@link ColdStart#PROPERTY} values: every run on oneDNN, or none (the Java kernels beside oneDNN's others). */
    private static final String ALWAYS = Integer.toString(Integer.MAX_VALUE), NEVER = "0";

    @TestFactory
    Stream<DynamicTest> operatorFoldersWithOneDnn() {
        Path dir = ConformanceSupport.shared("testdata/onnx-node");
        return ConformanceSupport.testFolders(dir).stream()
                .filter(f -> FOLDERS.matcher(f.getFileName().toString()).matches())
                .flatMap(f -> Stream.of(1, 2).map(threads -> DynamicTest.dynamicTest(
                        f.getFileName() + " (" + threads + " thread" + (threads > 1 ? "s)" : ")"), f.toUri(),
                        () -> check(f, threads, ALWAYS, NativeConformanceTest.DEFAULT))));
    }

    @TestFactory
    Stream<DynamicTest> tinyTransformerWithOneDnn() {
        Path model = ConformanceSupport.shared("models").resolve("tiny_transformer");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(model), "no models/tiny_transformer: skipping");
        return Stream.of(ALWAYS, NEVER).flatMap(runs -> Stream.of(1, 2).map(threads -> DynamicTest.dynamicTest(
                "tiny_transformer (" + threads + " threads, " + (runs.equals(NEVER) ? "Java" : "oneDNN") + " transformer kernels)",
                () -> check(model, threads, runs, new ValueComparison.Tolerance(1e-3, 1e-4)))));
    }

    private static void check(Path folder, int threads, String coldStartRuns, ValueComparison.Tolerance tolerance) {
        String name = folder.getFileName().toString();
        String previous = System.setProperty(KernelSelection.PROPERTY, "onednn");
        String previousRuns = System.setProperty(ColdStart.PROPERTY, coldStartRuns);
        KernelSelection.resetDefaults();
        try {
            ConformanceSupport.assumeProviderLoaded("onednn");
            SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
            String mismatch;
            try {
                mismatch = ConformanceSupport.check(folder, tolerance, options);
            } catch (RuntimeException e) {
                mismatch = ConformanceSupport.firstLine(e);
            }
            String exclusion = EXCLUSIONS.reason(name);
            if (mismatch != null && exclusion != null) abort("excluded (" + exclusion + "): " + mismatch);
            assertNull(mismatch, name + " with oneDNN at " + threads + " threads");
        } finally {
            if (previous == null) System.clearProperty(KernelSelection.PROPERTY);
            else System.setProperty(KernelSelection.PROPERTY, previous);
            if (previousRuns == null) System.clearProperty(ColdStart.PROPERTY);
            else System.setProperty(ColdStart.PROPERTY, previousRuns);
            KernelSelection.resetDefaults();
        }
    }
}
