package dev.edgerun.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

/** The array-backed result: lookup by name and index, detach, the map view, and closing. */
class RunResultTest {

    @Test
    void outputsByNameAndIndexInModelOrder() {
        Tensor a = Tensor.of(new float[] {1}, 1), b = Tensor.of(new float[] {2}, 1);
        try (RunResult r = new RunResult(new String[] {"y", "x"}, new Tensor[] {a, b}, null)) {
            assertSame(a, r.get("y"));
            assertSame(b, r.get(1));
            assertEquals(List.of("y", "x"), r.names());
            assertEquals(List.of("y", "x"), List.copyOf(r.asMap().keySet()));
            NoSuchElementException e = assertThrows(NoSuchElementException.class, () -> r.get("z"));
            assertTrue(e.getMessage().contains("[y, x]"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> r.get(2));
        }
        assertTrue(a.isClosed() && b.isClosed());
    }

    @Test
    void detachedOutputsLeaveTheResultAndBorrowedOnesAreCopied() {
        Arena block = Arena.ofShared();
        MemorySegment memory = block.allocate(8, Tensor.ALIGNMENT);
        Tensor a = Tensor.wrap(DType.FLOAT, Shape.of(1), memory.asSlice(0, 4));
        Tensor b = Tensor.wrap(DType.FLOAT, Shape.of(1), memory.asSlice(4, 4));
        a.setFloat(0, 3f);
        Tensor detached;
        try (RunResult r = new RunResult(new String[] {"a", "b"}, new Tensor[] {a, b}, block::close)) {
            detached = r.detach("a");
            assertTrue(detached.ownsMemory());
            assertEquals(List.of("b"), r.names());
            assertEquals(1, r.size());
            assertSame(b, r.get(0));
            assertThrows(NoSuchElementException.class, () -> r.get("a"));
            assertEquals(Map.of("b", b), r.asMap());
        }
        assertFalse(block.scope().isAlive());
        assertEquals(3f, detached.getFloat(0));
        detached.close();
        assertThrows(IllegalArgumentException.class, () -> new RunResult(new String[] {"a"}, new Tensor[0], null));
    }

    @Test
    void theMapConstructorKeepsTheMapsOrder() {
        Tensor a = Tensor.of(new float[] {1}, 1), b = Tensor.of(new float[] {2}, 1);
        var m = new java.util.LinkedHashMap<String, Tensor>();
        m.put("second", b);
        m.put("first", a);
        RunResult r = new RunResult(m);
        assertArrayEquals(new String[] {"second", "first"}, r.names().toArray());
        r.close();
        r.close();
        assertThrows(IllegalStateException.class, () -> r.get("first"));
        assertTrue(a.isClosed() && b.isClosed());
    }
}
