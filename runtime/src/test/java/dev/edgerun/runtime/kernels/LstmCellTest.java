package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fused LSTM cell against the formulas in double precision, vector lanes and scalar tail. */
class LstmCellTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void matchesTheFormulas(int bits) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= bits
                ? VectorSpecies.of(float.class, VectorShape.forBitSize(bits)) : FloatVector.SPECIES_PREFERRED;
        int hidden = 37;
        Random rnd = new Random(bits);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment g = arena.allocate(4L * 4 * hidden), state = arena.allocate(8L * hidden);
            for (int k = 0; k < 4 * hidden; k++) g.setAtIndex(F, k, rnd.nextFloat() * 8 - 4);
            double[] c0 = new double[hidden];
            for (int j = 0; j < hidden; j++) state.setAtIndex(F, hidden + j, (float) (c0[j] = rnd.nextFloat() * 2 - 1));
            LstmCell.of(species).update(g, 0, state, 4L * hidden, 0, hidden);
            for (int j = 0; j < hidden; j++) {
                double i = sigmoid(g.getAtIndex(F, j)), o = sigmoid(g.getAtIndex(F, hidden + j));
                double f = sigmoid(g.getAtIndex(F, 2 * hidden + j)), cand = Math.tanh(g.getAtIndex(F, 3 * hidden + j));
                double c = f * c0[j] + i * cand;
                assertEquals(c, state.getAtIndex(F, hidden + j), 1e-5, "c[" + j + "]");
                assertEquals(o * Math.tanh(c), state.getAtIndex(F, j), 1e-5, "h[" + j + "]");
            }
        }
    }

    /** Gates far outside the activations' working range saturate (tanh by exp must not give inf / inf). */
    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void saturatesWithoutOverflow(int bits) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= bits
                ? VectorSpecies.of(float.class, VectorShape.forBitSize(bits)) : FloatVector.SPECIES_PREFERRED;
        int hidden = 2 * species.length() + 3;   // vector lanes and a scalar tail
        float[] extremes = {-1e30f, -200f, -60f, -9f, 0f, 9f, 60f, 200f, 1e30f};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment g = arena.allocate(4L * 4 * hidden), state = arena.allocate(8L * hidden);
            for (int k = 0; k < 4 * hidden; k++) g.setAtIndex(F, k, extremes[k % extremes.length]);
            for (int j = 0; j < hidden; j++) state.setAtIndex(F, hidden + j, extremes[(j + 4) % extremes.length]);
            double[] c0 = new double[hidden];
            for (int j = 0; j < hidden; j++) c0[j] = state.getAtIndex(F, hidden + j);
            LstmCell.of(species).update(g, 0, state, 4L * hidden, 0, hidden);
            for (int j = 0; j < hidden; j++) {
                double i = sigmoid(g.getAtIndex(F, j)), o = sigmoid(g.getAtIndex(F, hidden + j));
                double f = sigmoid(g.getAtIndex(F, 2 * hidden + j)), cand = Math.tanh(g.getAtIndex(F, 3 * hidden + j));
                double c = f * c0[j] + i * cand;
                float h = state.getAtIndex(F, j);
                assertEquals(c, state.getAtIndex(F, hidden + j), Math.max(1e-5, Math.abs(c) * 1e-6), "c[" + j + "]");
                assertEquals(o * Math.tanh(c), h, 1e-5, "h[" + j + "]");
            }
        }
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
