package dev.edgerun.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.Value;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AugmentationTest {

    @Test
    void shiftMovesPixelsAndFillsWithBlack() {
        Preprocessing p = Preprocessing.forInput(Value.tensor("x", DType.FLOAT, 1, 1, 3, 3), Map.of());
        float[] x = {0, 0, 0, 0, 1, 0, 0, 0, 0};
        Augmentation a = Augmentation.parse("shift:1");
        boolean sawMove = false;
        Random r = new Random(1);
        for (int i = 0; i < 20; i++) {
            float[] y = a.apply(x, p, r);
            float sum = 0;
            for (float v : y) sum += v;
            assertEquals(1f, sum, 1e-6f); // the one bright pixel stays inside a 3x3 image for shifts of 1
            if (y[4] == 0) sawMove = true;
        }
        assertEquals(true, sawMove);
    }

    @Test
    void flipMirrorsRows() {
        Preprocessing p = Preprocessing.forInput(Value.tensor("x", DType.FLOAT, 1, 1, 1, 3), Map.of());
        Augmentation a = Augmentation.parse("flip");
        Random r = new Random(2);
        boolean flipped = false;
        for (int i = 0; i < 10; i++) {
            float[] y = a.apply(new float[] {1, 2, 3}, p, r);
            if (y[0] == 3) {
                assertArrayEquals(new float[] {3, 2, 1}, y);
                flipped = true;
            }
        }
        assertEquals(true, flipped);
    }

    @Test
    void audioGainAndShiftKeepLength() {
        Preprocessing p = Preprocessing.forInput(Value.tensor("x", DType.FLOAT, 1, 8), Map.of());
        float[] y = Augmentation.parse("timeshift:2,gain:6,noise:0.01").apply(new float[] {0, 0, 0, 1, 0, 0, 0, 0}, p, new Random(3));
        assertEquals(8, y.length);
        assertThrows(IllegalArgumentException.class, () -> Augmentation.parse("rotate:5"));
    }
}
