package dev.edgerun.onnx;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The shared test data beside the repository ({@code EDGERUN_SHARED}); tests skip loudly without it. */
final class SharedData {
    private SharedData() {}

    /** The shared folder, or a skipped test saying why. */
    static Path root() {
        String s = System.getProperty("EDGERUN_SHARED", System.getenv("EDGERUN_SHARED"));
        Path p = s == null ? Path.of("../shared") : Path.of(s);
        assumeTrue(Files.isDirectory(p.resolve("models")),
                "EDGERUN_SHARED (" + p.toAbsolutePath() + ") has no models/ folder: skipping tests on shared data");
        return p;
    }

    /** Test folders (sub-folders holding model.onnx) of {@code shared/<relative>}, sorted. */
    static List<Path> modelFolders(String relative) {
        Path dir = root().resolve(relative);
        assumeTrue(Files.isDirectory(dir), dir + " is absent: skipping");
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
