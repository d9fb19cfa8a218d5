package dev.edgerun.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/** Runs the edgerun command in-process and captures what it prints. */
final class Cli {
    private Cli() {}

    record Outcome(int exit, String out, String err) {
        String[] outLines() {
            return out.strip().split("\n");
        }
    }

    static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Outcome(exit, out.toString(), err.toString());
    }

    /** A folder of the shared test data; the calling test is skipped (loudly) without it. */
    static Path shared(String sub) {
        String root = System.getProperty("EDGERUN_SHARED");
        if (root == null || root.isBlank()) root = System.getenv("EDGERUN_SHARED");
        Path p = root == null || root.isBlank() ? null : Path.of(root, sub);
        boolean present = p != null && Files.isDirectory(p);
        if (!present) {
            System.err.println("SKIPPED: shared test data '" + sub + "' not found (EDGERUN_SHARED=" + root + ")");
        }
        assumeTrue(present, "shared test data '" + sub + "' not found (EDGERUN_SHARED=" + root + ")");
        return p;
    }

    static String model(String name) {
        return shared("models").resolve(name).resolve("model.onnx").toString();
    }
}
