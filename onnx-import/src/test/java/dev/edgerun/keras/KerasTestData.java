package dev.edgerun.keras;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Locates ../shared/testdata/keras; tests skip loudly when it is absent. */
final class KerasTestData {
    private KerasTestData() {}

    static Path root() {
        String s = System.getProperty("EDGERUN_SHARED", System.getenv().getOrDefault("EDGERUN_SHARED", "../shared"));
        Path p = Path.of(s, "testdata", "keras");
        assumeTrue(Files.isDirectory(p), "shared Keras test data not found at " + p.toAbsolutePath()
                + " (set EDGERUN_SHARED); skipping");
        return p;
    }

    /** The model folders of keras3-generated, sorted. */
    static List<Path> keras3Models() throws IOException {
        try (Stream<Path> s = Files.list(root().resolve("keras3-generated"))) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }

    /** The .h5/.hdf5 files of keras2-tfkeras, sorted. */
    static List<Path> keras2Files() throws IOException {
        try (Stream<Path> s = Files.list(root().resolve("keras2-tfkeras"))) {
            return s.filter(p -> p.toString().endsWith(".h5") || p.toString().endsWith(".hdf5")).sorted().toList();
        }
    }
}
