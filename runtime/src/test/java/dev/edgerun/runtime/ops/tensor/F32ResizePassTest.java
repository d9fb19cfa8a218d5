package dev.edgerun.runtime.ops.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.kernels.F32ResizePass;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** One separable resize pass at 512, 256, 128 bits and scalar against a plain weighted sum. */
class F32ResizePassTest {

    @Test
    void everyWidthMatchesTheWeightedSumIncludingTails() {
        Random r = new Random(11);
        int outer = 3, inLen = 7, outLen = 12, taps = 4;
        for (int inner : new int[] {1, 5, 16, 37, 100}) {
            float[] src = new float[outer * inLen * inner];
            for (int i = 0; i < src.length; i++) src[i] = r.nextFloat() * 2 - 1;
            int[] index = new int[outLen * taps];
            float[] weight = new float[outLen * taps];
            for (int i = 0; i < index.length; i++) {
                index[i] = r.nextInt(inLen);
                weight[i] = r.nextFloat() - 0.25f;
            }
            boolean[] extrapolate = new boolean[outLen];
            extrapolate[5] = true;
            float[] expected = new float[outer * outLen * inner];
            for (int o = 0; o < outer; o++) {
                for (int j = 0; j < outLen; j++) {
                    for (int i = 0; i < inner; i++) {
                        double acc = 0;
                        for (int t = 0; t < taps; t++) acc += weight[j * taps + t] * src[(o * inLen + index[j * taps + t]) * inner + i];
                        expected[(o * outLen + j) * inner + i] = extrapolate[j] ? 9f : (float) acc;
                    }
                }
            }
            for (int bits : new int[] {512, 256, 128, 0}) {
                VectorSpecies<Float> species = bits == 0 ? null : VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment s = arena.allocate(4L * src.length);
                    MemorySegment.copy(src, 0, s, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, src.length);
                    MemorySegment d = arena.allocate(4L * expected.length);
                    F32ResizePass.run(species, s, d, outer, inLen, inner, outLen, taps, index, weight, extrapolate, 9f);
                    float[] got = d.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
                    for (int i = 0; i < got.length; i++) assertEquals(expected[i], got[i], 1e-5f, "inner=" + inner + " bits=" + bits + " at " + i);
                }
            }
        }
    }
}
