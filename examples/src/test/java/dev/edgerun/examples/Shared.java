package dev.edgerun.examples;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test helpers: the shared model folder (skipping loudly without it), test clips, captured stdout. */
final class Shared {
    private Shared() {}

    static Path model(String name) {
        String root = System.getProperty("EDGERUN_SHARED", System.getenv("EDGERUN_SHARED"));
        assumeTrue(root != null, "EDGERUN_SHARED is not set; skipping the test that needs shared/models/" + name);
        Path p = Path.of(root, "models", name, "model.onnx");
        assumeTrue(Files.isRegularFile(p), "no " + p + "; skipping");
        return p;
    }

    static Path clip(String name) throws Exception {
        return Path.of(Shared.class.getResource("/audio/" + name).toURI());
    }

    /** Runs {@code body} with System.out captured; returns what it printed. */
    static String stdout(ThrowingRunnable body) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setOut(old);
        }
        String s = buf.toString(StandardCharsets.UTF_8);
        old.print(s);
        return s;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
