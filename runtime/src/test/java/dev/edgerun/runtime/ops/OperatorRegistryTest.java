package dev.edgerun.runtime.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The registry makes its operators on first lookup: every row must be able to make one. */
class OperatorRegistryTest {

    @Test
    void everyRowMakesItsOperatorOnceAndKeepsIt() {
        List<String> failed = new ArrayList<>();
        for (OperatorRegistry.Entry e : OperatorRegistry.entries()) {
            try {
                Operator first = e.operator();
                assertNotNull(first, e.toString());
                assertSame(first, e.operator(), e + ": a second lookup must return the same operator");
            } catch (RuntimeException | LinkageError ex) {
                failed.add(e + ": " + ex);
            }
        }
        assertTrue(failed.isEmpty(), "rows that cannot make their operator: " + failed);
        assertTrue(OperatorRegistry.entries().size() > 200, "rows: " + OperatorRegistry.entries().size());
    }

    @Test
    void rowsMadeWithArgumentsKeepThem() {
        // ReduceSum and ReduceMax share one class made with different arguments: each row keeps its own.
        Operator sum = OperatorRegistry.find("", "ReduceSum", 13).operator();
        Operator max = OperatorRegistry.find("", "ReduceMax", 13).operator();
        assertSame(sum.getClass(), max.getClass());
        assertTrue(sum != max, "ReduceSum and ReduceMax must be two operators");
    }

    @Test
    void findHonoursTheOldestVersionAndTheDomain() {
        OperatorRegistry.Entry add = OperatorRegistry.find("ai.onnx", "Add", 14);
        assertNotNull(add);
        assertEquals("Add", add.opType());
        assertEquals(1, add.minVersion());
        assertSame(add, OperatorRegistry.find("", "Add", 7));
        assertNull(OperatorRegistry.find("", "LessOrEqual", 11), "LessOrEqual exists from opset 12");
        assertNull(OperatorRegistry.find("", "NoSuchOperator", 20));
        assertTrue(OperatorRegistry.knows("ai.onnx.ml", "LabelEncoder"));
        assertNull(OperatorRegistry.find("", "LabelEncoder", 4), "LabelEncoder is in ai.onnx.ml only");
    }
}
