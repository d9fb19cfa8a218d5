package dev.edgerun.runtime.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesNestedValuesWithTheirJavaTypes() {
        Map<String, Object> doc = Json.parseObject(
                "{\"a\": [1, -2.5e1, \"x\\\"y\\u0041\"], \"b\": {\"t\": true, \"n\": null}}", "test");
        assertEquals(List.of(1L, -25.0, "x\"yA"), doc.get("a"));
        assertEquals(Arrays.asList(true, null), Arrays.asList(((Map<?, ?>) doc.get("b")).get("t"),
                ((Map<?, ?>) doc.get("b")).get("n")));
    }

    @Test
    void writesIntegralDoublesAsIntegersAndNonFiniteAsNull() {
        assertEquals("[\n  3,\n  0.5,\n  null\n]", Json.write(List.of(3.0, 0.5, Double.POSITIVE_INFINITY)));
    }

    @Test
    void malformedTextNamesTheSourceAndPosition() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Json.parseObject("{\"a\": 3", "profile.json"));
        assertTrue(e.getMessage().startsWith("profile.json: not valid JSON"), e.getMessage());
        assertTrue(e.getMessage().contains("at character 7"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.parseObject("[1]", "x"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("1 2", "x"));
    }
}
