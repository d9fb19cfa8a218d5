package dev.edgerun.onnx.conformance;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.onnx.TestCaseFolder;
import dev.edgerun.onnx.proto.Onnx.ModelProto;
import dev.edgerun.onnx.proto.Onnx.OperatorSetIdProto;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.UnsupportedOperatorException;
import dev.edgerun.runtime.engine.NativeSession;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.ir.Model;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/** Shared pieces of the native-engine tests over ONNX test folders. */
final class ConformanceSupport {
    private ConformanceSupport() {}

    /** The shared data folder, or a skipped test saying why. */
    static Path shared(String relative) {
        String s = System.getProperty("EDGERUN_SHARED", System.getenv("EDGERUN_SHARED"));
        Path root = s == null ? Path.of("../shared") : Path.of(s);
        Path dir = root.resolve(relative);
        assumeTrue(Files.isDirectory(dir), "EDGERUN_SHARED (" + root.toAbsolutePath() + ") has no " + relative
                + " folder: skipping tests on shared data");
        return dir;
    }

    /**
     * The ONNX node tests ({@code testdata/onnx-node}) whose folder names match {@code folders}, each
     * at 1 and 2 threads with oneDNN forced ({@code -Dedgerun.kernels=onednn}): the check that the
     * operators oneDNN takes compute what ONNX says.
     */
    static Stream<DynamicTest> nodeTestsWithOneDnn(Pattern folders) {
        return testsWithKernels("onednn", "testdata/onnx-node", folders, NativeConformanceTest.DEFAULT);
    }

    /**
     * The test folders of the shared folder {@code sharedDir} whose names match {@code folders}, each
     * at 1 and 2 threads with the kernel provider {@code kernels} forced ({@code -Dedgerun.kernels}),
     * outputs compared within {@code tolerance}; a pattern that matches no folder fails.
     */
    static Stream<DynamicTest> testsWithKernels(String kernels, String sharedDir, Pattern folders,
                                                ValueComparison.Tolerance tolerance) {
        List<Path> matching = testFolders(shared(sharedDir)).stream()
                .filter(f -> folders.matcher(f.getFileName().toString()).matches()).toList();
        // a pattern that matches nothing would otherwise pass with no test at all
        if (matching.isEmpty()) fail("no test folder in " + sharedDir + " matches " + folders.pattern());
        return matching.stream()
                .flatMap(f -> Stream.of(1, 2).map(threads -> DynamicTest.dynamicTest(
                        f.getFileName() + " " + kernels + " (" + threads + " thread" + (threads > 1 ? "s)" : ")"),
                        f.toUri(), () -> checkWithKernels(f, kernels, tolerance, threads))));
    }

    private static void checkWithKernels(Path folder, String kernels, ValueComparison.Tolerance tolerance,
                                         int threads) {
        String previous = System.setProperty(KernelSelection.PROPERTY, kernels);
        KernelSelection.resetDefaults();
        try {
            assumeProviderLoaded(kernels);
            SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
            assertNull(check(folder, tolerance, options), folder.getFileName() + " with " + kernels);
        } finally {
            if (previous == null) System.clearProperty(KernelSelection.PROPERTY);
            else System.setProperty(KernelSelection.PROPERTY, previous);
            KernelSelection.resetDefaults();
        }
    }

    /**
     * Skips the test when the forced kernel provider could not be loaded (library missing or of
     * the wrong version), or fails it when {@code EDGERUN_REQUIRE_NATIVE_KERNELS=1}.
     */
    static void assumeProviderLoaded(String provider) {
        if (KernelSelection.defaults().providers().stream().anyMatch(p -> p.name().equals(provider))) return;
        String message = provider + " kernel provider unavailable (library not loadable or wrong version)";
        String require = System.getenv("EDGERUN_REQUIRE_NATIVE_KERNELS");
        if ("1".equals(require) || "true".equalsIgnoreCase(require)) fail(message);
        assumeTrue(false, message + "; skipping");
    }

    /** Sub-folders of {@code dir} that are test folders, sorted by name. */
    static List<Path> testFolders(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(TestCaseFolder::isTestCaseFolder).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The default-domain opset a model file imports, or -1 when the file cannot be parsed. */
    static long opsetOf(Path modelFile) {
        try {
            ModelProto p = OnnxModels.parse(modelFile);
            for (OperatorSetIdProto o : p.getOpsetImportList()) {
                if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) return o.getVersion();
            }
            return -1;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /**
     * Runs every data set of a test folder on the native engine; null when all outputs match,
     * else the first difference. Exceptions propagate.
     */
    static String check(Path folder, ValueComparison.Tolerance tol, SessionOptions options) {
        TestCaseFolder tc = TestCaseFolder.open(folder);
        try (Model model = Edgerun.load(tc.modelFile());
             Session session = Edgerun.session(model, options)) {
            NativeSession ns = (NativeSession) session;
            for (TestCaseFolder.DataSet set : tc.readDataSets(model)) {
                try (set) {
                    String d = checkDataSet(ns, set, tol);
                    if (d != null) return set.name() + ": " + d;
                }
            }
            return null;
        }
    }

    private static String checkDataSet(NativeSession session, TestCaseFolder.DataSet set, ValueComparison.Tolerance tol) {
        Map<String, Object> actual = session.runValues(set.inputs());
        try {
            for (Map.Entry<String, Object> e : set.expectedOutputs().entrySet()) {
                if (!actual.containsKey(e.getKey())) return "no output '" + e.getKey() + "'; outputs " + actual.keySet();
                String d = ValueComparison.compare("output '" + e.getKey() + "'", e.getValue(), actual.get(e.getKey()), tol);
                if (d != null) return d;
            }
            return null;
        } finally {
            for (Object v : actual.values()) closeValue(v);
        }
    }

    static void closeValue(Object v) {
        if (v instanceof Tensor t) t.close();
        else if (v instanceof List<?> l) for (Object o : l) closeValue(o);
    }

    /** The first line of an exception, for reports: {@code Class: message}. */
    static String firstLine(Throwable t) {
        String m = t.getMessage();
        String line = t.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }

    /** A grouping key for the failure report: what kind of debt the failure is. */
    static String category(Throwable t, String mismatch) {
        if (t == null) return mismatch.contains("timed out") ? "timed out" : "wrong result";
        if (t instanceof UnsupportedOperatorException u) {
            List<String> parts = new ArrayList<>();
            for (UnsupportedOperatorException.Miss m : u.misses()) {
                String why = m.reason() == null ? "" : m.reason();
                String p = why.startsWith("not implemented") || why.startsWith("no such")
                        ? "operator not implemented yet: " + m.opType()
                        : "unsupported case of " + m.opType() + ": " + why;
                if (!parts.contains(p)) parts.add(p);
            }
            return String.join(" + ", parts);
        }
        return "error: " + t.getClass().getSimpleName();
    }

    /** The commented exclusion list: one test name (or full-match regex) per line, '#' starts a comment. */
    static final class Exclusions {
        private final Map<Pattern, String> entries = new LinkedHashMap<>();

        static Exclusions load(String resource) {
            Exclusions ex = new Exclusions();
            try (InputStream in = ConformanceSupport.class.getResourceAsStream(resource)) {
                if (in == null) return ex;
                String reason = "";
                for (String raw : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                    String line = raw.strip();
                    if (line.startsWith("# ") && line.endsWith(":")) reason = line.substring(2, line.length() - 1);
                    int hash = line.indexOf('#');
                    String entry = (hash >= 0 ? line.substring(0, hash) : line).strip();
                    if (!entry.isEmpty()) ex.entries.put(Pattern.compile(entry), reason);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return ex;
        }

        /** The reason a test is excluded, or null when it is not. */
        String reason(String test) {
            for (Map.Entry<Pattern, String> e : entries.entrySet()) {
                if (e.getKey().matcher(test).matches()) return e.getValue().isEmpty() ? "excluded" : e.getValue();
            }
            return null;
        }
    }
}
