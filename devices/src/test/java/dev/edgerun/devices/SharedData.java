package dev.edgerun.devices;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Locates {@code ../shared} (system property or environment variable EDGERUN_SHARED) and skips loudly without it. */
final class SharedData {
    private SharedData() {}

    /** The shared folder {@code sub} (e.g. {@code models}); the calling test is skipped when it is absent. */
    static Path folder(String sub) {
        String root = System.getProperty("EDGERUN_SHARED");
        if (root == null || root.isBlank()) root = System.getenv("EDGERUN_SHARED");
        Path p = root == null || root.isBlank() ? null : Path.of(root, sub);
        boolean present = p != null && Files.isDirectory(p);
        if (!present) {
            System.err.println("SKIPPED: shared test data '" + sub + "' not found (EDGERUN_SHARED=" + root
                    + "); set EDGERUN_SHARED to the shared folder to run these tests");
        }
        assumeTrue(present, "shared test data '" + sub + "' not found (EDGERUN_SHARED=" + root + ")");
        return p;
    }

    /** The sub-folders of {@code dir} holding a model.onnx, sorted by name. */
    static List<Path> modelFolders(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(d -> Files.isRegularFile(d.resolve("model.onnx"))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code folder/test_data_set_*}, sorted. */
    static List<Path> dataSets(Path folder) {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(d -> Files.isDirectory(d) && d.getFileName().toString().startsWith("test_data_set_"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code set/prefix_0.pb, prefix_1.pb, ...} in index order. */
    static List<Path> valueFiles(Path set, String prefix) {
        try (Stream<Path> s = Files.list(set)) {
            return s.filter(f -> f.getFileName().toString().matches(prefix + "_\\d+\\.pb"))
                    .sorted((a, b) -> Integer.compare(index(a), index(b))).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int index(Path f) {
        String n = f.getFileName().toString();
        return Integer.parseInt(n.substring(n.indexOf('_') + 1, n.indexOf('.')));
    }
}
