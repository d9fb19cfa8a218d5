package dev.edgerun.onnx.conformance;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.edgerun.runtime.SessionOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * ONNX's backend node tests ({@code $EDGERUN_SHARED/testdata/onnx-node/*}) on the native engine,
 * one dynamic test per folder. Tests listed in {@code conformance/native-exclusions.txt} still run:
 * a failure is reported as skipped, a pass is printed so that the list can shrink.
 *
 * <p>System properties: {@code edgerun.conformance.filter} (a regex over test names) runs a
 * subset; {@code edgerun.conformance.report} (a file) writes every failure, grouped by kind, in
 * the format of the exclusion file.
 */
class NativeConformanceTest {
    static final ValueComparison.Tolerance DEFAULT = new ValueComparison.Tolerance(1e-3, 1e-5);

    /**
     * Looser tolerances by test name, each with its reason. None is needed today: every test that
     * runs passes at rtol 1e-3, atol 1e-5 (float16/bfloat16 tests included).
     */
    static final Map<String, ValueComparison.Tolerance> LOOSER = Map.of();

    private static final ConformanceSupport.Exclusions EXCLUSIONS =
            ConformanceSupport.Exclusions.load("/conformance/native-exclusions.txt");
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private static final AtomicInteger passed = new AtomicInteger();
    private static final AtomicInteger failed = new AtomicInteger();
    private static final AtomicInteger excluded = new AtomicInteger();
    private static final AtomicInteger passed22 = new AtomicInteger();
    private static final AtomicInteger failed22 = new AtomicInteger();
    private static final AtomicInteger excluded22 = new AtomicInteger();
    private static final Map<String, String> nowPassing = new ConcurrentSkipListMap<>();
    private static final Map<String, Map<String, String>> failuresByCategory = new ConcurrentHashMap<>();

    @TestFactory
    Stream<DynamicTest> onnxNodeTests() {
        Path dir = ConformanceSupport.shared("testdata/onnx-node");
        String filter = System.getProperty("edgerun.conformance.filter", "");
        Pattern p = filter.isBlank() ? null : Pattern.compile(filter);
        List<Path> folders = ConformanceSupport.testFolders(dir).stream()
                .filter(f -> p == null || p.matcher(f.getFileName().toString()).matches()).toList();
        return folders.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), f.toUri(), () -> runOne(f)));
    }

    private static void runOne(Path folder) {
        String name = folder.getFileName().toString();
        String exclusion = EXCLUSIONS.reason(name);
        long opset = ConformanceSupport.opsetOf(folder.resolve("model.onnx"));
        boolean upTo22 = opset >= 0 && opset <= 22;
        ValueComparison.Tolerance tol = LOOSER.getOrDefault(name, DEFAULT);
        SessionOptions options = SessionOptions.builder().engine("native").build();

        String mismatch;
        Throwable error = null;
        try {
            mismatch = assertTimeoutPreemptively(TIMEOUT, () -> ConformanceSupport.check(folder, tol, options),
                    () -> "timed out after " + TIMEOUT.toSeconds() + " s");
        } catch (RuntimeException | AssertionError | StackOverflowError e) {
            error = e;
            mismatch = e instanceof AssertionError && String.valueOf(e.getMessage()).contains("timed out")
                    ? "timed out after " + TIMEOUT.toSeconds() + " s" : ConformanceSupport.firstLine(e);
            if (mismatch.startsWith("timed out")) error = null;
        }
        if (mismatch == null) {
            passed.incrementAndGet();
            if (upTo22) passed22.incrementAndGet();
            if (exclusion != null) {
                nowPassing.put(name, exclusion);
                System.out.println("[conformance] EXCLUDED BUT PASSES: " + name + " (" + exclusion + ")");
            }
            return;
        }
        failuresByCategory.computeIfAbsent(ConformanceSupport.category(error, mismatch), k -> new ConcurrentSkipListMap<>())
                .put(name, mismatch);
        if (exclusion != null) {
            excluded.incrementAndGet();
            if (upTo22) excluded22.incrementAndGet();
            abort("excluded (" + exclusion + "): " + mismatch);
        }
        failed.incrementAndGet();
        if (upTo22) failed22.incrementAndGet();
        if (error != null) fail(name + ": " + mismatch, error);
        fail(name + ": " + mismatch);
    }

    @AfterAll
    static void summary() throws IOException {
        int all = passed.get() + failed.get() + excluded.get();
        if (all == 0) return;
        int all22 = passed22.get() + failed22.get() + excluded22.get();
        System.out.printf("[conformance] native engine: %d tests: %d passed, %d failed, %d excluded (failing);"
                        + " opset <= 22: %d tests: %d passed, %d failed, %d excluded; excluded but passing: %d%n",
                all, passed.get(), failed.get(), excluded.get(), all22, passed22.get(), failed22.get(), excluded22.get(),
                nowPassing.size());
        if (!nowPassing.isEmpty()) {
            System.out.println("[conformance] remove from native-exclusions.txt: " + String.join(" ", nowPassing.keySet()));
        }
        String report = System.getProperty("edgerun.conformance.report", "");
        if (!report.isBlank()) writeReport(Path.of(report));
    }

    /** Every failure, grouped by kind, one test per line with its first error as a comment. */
    private static void writeReport(Path file) {
        StringBuilder b = new StringBuilder("# native-engine conformance failures, grouped by kind\n");
        Map<String, Map<String, String>> sorted = new TreeMap<>(failuresByCategory);
        for (Map.Entry<String, Map<String, String>> group : sorted.entrySet()) {
            b.append("\n# ").append(group.getKey()).append(" (").append(group.getValue().size()).append("):\n");
            for (Map.Entry<String, String> t : group.getValue().entrySet()) {
                b.append(t.getKey()).append("  # ").append(t.getValue().replace('\n', ' ')).append('\n');
            }
        }
        try {
            if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, b);
            System.out.println("[conformance] failure report written to " + file.toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
