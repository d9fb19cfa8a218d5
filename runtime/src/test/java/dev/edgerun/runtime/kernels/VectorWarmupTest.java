package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** The warm-up computes what its scalar description says, at the vector widths the kernel tests use. */
class VectorWarmupTest {

    @Test
    void everyWidthComputesTheScalarChecksum() {
        int preferredBits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        for (VectorSpecies<Float> s : List.of(FloatVector.SPECIES_128, FloatVector.SPECIES_256, FloatVector.SPECIES_512)) {
            if (s.vectorBitSize() > preferredBits) continue;
            float expected = scalarChecksum(s.length(), 5);
            float actual = VectorWarmup.run(s, 5);
            assertTrue(Float.isFinite(actual), s + ": " + actual);
            assertEquals(expected, actual, 1e-4f * Math.abs(expected), s.toString());
        }
    }

    /** The warm-up's steps one lane at a time (see VectorWarmup.run). */
    private static float scalarChecksum(int lanes, int rounds) {
        float[] m = new float[4 * lanes];
        for (int i = 0; i < m.length; i++) m[i] = 0.5f + i % 3;
        int half = lanes / 2 + 1;
        float checksum = 0;
        for (int r = 0; r < rounds; r++) {
            float sum = 0, maxW = Float.NEGATIVE_INFINITY;
            float[] z = new float[lanes], w = new float[lanes];
            for (int i = 0; i < lanes; i++) {
                float x = m[i], y = m[lanes + i], b = 0.25f;
                w[i] = i < half ? m[2 * lanes + i] : 0f;
                float v = (float) Math.sqrt(Math.abs(Math.min(Math.max((Math.fma(x, y, b) + y) * b - x, b), y))) / y;
                v = v < x ? w[i] : v;
                z[i] = Math.min(Math.max(((float) Math.tanh((float) Math.exp(v)) + 1f) * 0.5f, 0f), y);
                maxW = Math.max(maxW, w[i]);
            }
            float[] evens = new float[lanes];   // lane i takes element 2i of z then x
            for (int i = 0; i < lanes; i++) evens[i] = 2 * i < lanes ? z[2 * i] : m[2 * i - lanes];
            z = evens;
            for (int i = 0; i < lanes; i++) sum += z[i];
            checksum += sum + maxW;
            for (int i = 0; i < lanes; i++) {
                m[2 * lanes + i] = z[i];
                if (i < half) m[3 * lanes + i] = w[i];
                if ((r & 1) + i < lanes) m[3 * lanes + i] = 0f;
            }
        }
        return checksum;
    }
}
