package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgerun.runtime.Shape;
import org.junit.jupiter.api.Test;

class BroadcastPlanTest {

    @Test
    void broadcastShapeFollowsNumpyRules() {
        assertEquals(Shape.of(2, 3, 4, 5), BroadcastPlan.broadcastShape(Shape.of(2, 3, 4, 5), Shape.of(5)));
        assertEquals(Shape.of(4, 3, 5), BroadcastPlan.broadcastShape(Shape.of(4, 1, 5), Shape.of(3, 1)));
        assertEquals(Shape.of(2, 3), BroadcastPlan.broadcastShape(Shape.SCALAR, Shape.of(2, 3)));
        assertEquals(Shape.of(0, 3), BroadcastPlan.broadcastShape(Shape.of(0, 1), Shape.of(3)));
        assertNull(BroadcastPlan.broadcastShape(Shape.of(2, 3), Shape.of(4)));
    }

    @Test
    void sameShapeIsOneRow() {
        BroadcastPlan p = BroadcastPlan.of(Shape.of(2, 3, 4), Shape.of(2, 3, 4), Shape.of(2, 3, 4));
        assertEquals(1, p.rows());
        assertEquals(24, p.inner());
        assertEquals(1, p.innerStride(0));
        assertEquals(1, p.innerStride(1));
    }

    @Test
    void channelBroadcastGivesScalarRows() {
        BroadcastPlan p = BroadcastPlan.of(Shape.of(2, 3, 4, 5), Shape.of(2, 3, 4, 5), Shape.of(3, 1, 1));
        assertEquals(6, p.rows());
        assertEquals(20, p.inner());
        assertEquals(0, p.innerStride(1));
        assertEquals(2, p.rowStart(1, 5)); // row 5 = (n 1, c 2)
        assertEquals(100, p.rowStart(0, 5));
    }

    @Test
    void everyOutputElementMapsToTheNumpyIndex() {
        Shape a = Shape.of(4, 1, 5, 1);
        Shape b = Shape.of(3, 1, 2);
        Shape out = BroadcastPlan.broadcastShape(a, b);
        BroadcastPlan p = BroadcastPlan.of(out, a, b);
        long[] d = out.dims();
        assertEquals(out.elementCount(), (long) p.rows() * p.inner());
        long i = 0;
        for (long x = 0; x < d[0]; x++)
            for (long y = 0; y < d[1]; y++)
                for (long z = 0; z < d[2]; z++)
                    for (long w = 0; w < d[3]; w++, i++) {
                        assertEquals(x * 5 + z, p.inputIndex(0, i), "a at " + i);
                        assertEquals(y * 2 + w, p.inputIndex(1, i), "b at " + i);
                    }
    }

    @Test
    void scalarOutputHasOneElement() {
        BroadcastPlan p = BroadcastPlan.of(Shape.of(1), Shape.SCALAR, Shape.of(1));
        assertEquals(1, p.rows());
        assertEquals(1, p.inner());
    }

    @Test
    void emptyOutputHasNoRows() {
        BroadcastPlan p = BroadcastPlan.of(Shape.of(0, 3), Shape.of(0, 1), Shape.of(3));
        assertEquals(0L, (long) p.rows() * p.inner());
    }

    @Test
    void rejectsAnInputThatDoesNotBroadcast() {
        assertThrows(IllegalArgumentException.class, () -> BroadcastPlan.of(Shape.of(2, 3), Shape.of(4)));
    }
}
