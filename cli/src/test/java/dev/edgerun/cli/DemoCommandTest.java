package dev.edgerun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo end to end: from-scratch training, few-shot fine-tuning, int8, every engine, one table. */
class DemoCommandTest {

    @Test
    @SuppressWarnings("unchecked")
    void fewShotUnfreezeTwoReaches80PercentOnDigits5To9(@TempDir Path dir) {
        Path model = dir.resolve("digits_5-9.onnx");
        long t0 = System.nanoTime();
        Cli.Outcome r = Cli.run("demo", "--json", "--runs", "3", "-o", model.toString());
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> doc = MiniJson.object(r.out());
        assertTrue(((Number) doc.get("base_accuracy")).doubleValue() >= 0.95, "from scratch on 0-4: " + doc.get("base_accuracy"));
        List<Object> table = (List<Object>) doc.get("table");
        double unfrozen = -1;
        boolean int8 = false;
        for (Object o : table) {
            Map<String, Object> row = (Map<String, Object>) o;
            if (!Boolean.TRUE.equals(row.get("ran"))) continue;
            if (row.get("variant").equals("5-9 --unfreeze 2") && row.get("engine").equals("native")) {
                unfrozen = ((Number) row.get("accuracy")).doubleValue();
            }
            if (row.get("variant").toString().endsWith("int8")) int8 = true;
        }
        System.out.printf("demo: --unfreeze 2 with 10 examples per class: %.3f on test digits 5-9; %.1f s in-process%n", unfrozen, seconds);
        assertTrue(unfrozen >= 0.80, "unfreeze 2 accuracy " + unfrozen);
        assertTrue(int8, "an int8 variant ran: " + table);
        assertEquals(Boolean.TRUE, doc.get("agree"));
        assertTrue(Files.isRegularFile(model));
        assertTrue(Files.isRegularFile(dir.resolve("digits_0-4.onnx")));
        assertTrue(Files.isRegularFile(dir.resolve("digits_5-9.curves.png")));
    }
}
