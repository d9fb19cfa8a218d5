package dev.edgerun.keras;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

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
}
