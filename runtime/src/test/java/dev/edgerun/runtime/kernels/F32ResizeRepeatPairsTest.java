package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Nearest 2x row upsampling at each vector width and scalar: every input element twice, nothing else touched. */
class F32ResizeRepeatPairsTest {

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128, 0})
    void everyElementIsWrittenTwice(int bits) {
        Random rnd = new Random(bits);
        for (int n : new int[] {1, 7, 16, 33, 64, 65}) {
            int offset = 3; // rows that do not start at the segment's start
            float[] x = F32GemmTest.random(rnd, offset + n);
            try (Tensor src = Tensor.of(x, offset + n); Tensor dst = Tensor.allocate(DType.FLOAT, 2 * n + 2 * offset + 1)) {
                dst.data().fill((byte) 0x7f);
                float sentinel = dst.getFloat(0);
                F32ResizePass.repeatPairs(bits == 0 ? null : F32GemmTest.species(bits), src.data(), 4L * offset, dst.data(),
                        8L * offset, n);
                for (int i = 0; i < 2 * offset; i++) assertEquals(sentinel, dst.getFloat(i), "before the row, n " + n);
                for (int i = 0; i < n; i++) {
                    assertEquals(x[offset + i], dst.getFloat(2 * offset + 2 * i), "n " + n + " at " + i);
                    assertEquals(x[offset + i], dst.getFloat(2 * offset + 2 * i + 1), "n " + n + " at " + i);
                }
                assertEquals(sentinel, dst.getFloat(2 * offset + 2 * n), "after the row, n " + n);
            }
        }
    }
}
