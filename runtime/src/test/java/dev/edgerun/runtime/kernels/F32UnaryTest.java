package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every operation of the vector kernel against its scalar path, at three widths, odd lengths and tails. */
class F32UnaryTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void vectorMatchesScalarPath(int bits) {
        VectorSpecies<Float> sp = VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
        Random rnd = new Random(bits);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {1, 5, 15, 16, 31, 67, 301}) {
                MemorySegment in = arena.allocate(4L * (n + 1));
                for (int i = 0; i <= n; i++) in.setAtIndex(F, i, (float) (rnd.nextGaussian() * 4));
                in.setAtIndex(F, 1, 0f);
                if (n > 3) in.setAtIndex(F, 3, -0.5f);
                if (n > 7) { // NaN and infinities, in the vector part of the loop
                    in.setAtIndex(F, 5, Float.NaN);
                    in.setAtIndex(F, 6, Float.POSITIVE_INFINITY);
                    in.setAtIndex(F, 7, Float.NEGATIVE_INFINITY);
                }
                MemorySegment expected = arena.allocate(4L * n);
                MemorySegment actual = arena.allocate(4L * n);
                for (F32UnaryOp op : F32UnaryOp.values()) {
                    float p = op == F32UnaryOp.CLIP ? -1.5f : op == F32UnaryOp.CELU ? 1.3f : 0.2f;
                    float q = op == F32UnaryOp.CLIP ? 2.5f : 0.6f;
                    op.reference(p, q, in, 1, expected, 0, n);
                    F32Unary.apply(op, p, q, sp, in, 1, actual, 0, n);
                    for (int i = 0; i < n; i++) {
                        float e = expected.getAtIndex(F, i);
                        float a = actual.getAtIndex(F, i);
                        String what = op + " x=" + in.getAtIndex(F, 1 + i) + " n=" + n + " bits=" + bits;
                        if (Float.isNaN(e)) assertTrue(Float.isNaN(a), what);
                        else assertEquals(e, a, 4e-6f * Math.max(1f, Math.abs(e)), what);
                    }
                }
            }
        }
    }

    @Test
    void erfApproximationIsWithin3e7OfDoubleSeries() {
        double worst = 0;
        for (int i = -6000; i <= 6000; i++) {
            float x = i / 1000f;
            worst = Math.max(worst, Math.abs(F32UnaryOp.erf(x) - F32UnaryOp.erf((double) x)));
        }
        assertTrue(worst < 3e-7, "max |erf error| " + worst);
        assertTrue(Float.isNaN(F32UnaryOp.erf(Float.NaN)));
    }

    @Test
    void doubleErfMatchesKnownValues() {
        assertEquals(0.0, F32UnaryOp.erf(0.0), 0);
        assertEquals(0.5204998778130465, F32UnaryOp.erf(0.5), 1e-14);
        assertEquals(-0.8427007929497149, F32UnaryOp.erf(-1.0), 1e-14);
        assertEquals(0.9953222650189527, F32UnaryOp.erf(2.0), 1e-14);
        assertEquals(0.9999999845827421, F32UnaryOp.erf(4.0), 1e-14);
    }
}
