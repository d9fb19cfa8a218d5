package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
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

    /**
     * Whole steps against {@code gates = g + R·h} and the formulas in double precision: one, two and
     * four vectors per gate (three and five: blocks of two and one, four and one), swept forwards and
     * backwards, h read while the product runs and replaced after it.
     */
    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void stepMatchesTheFormulas(int bits) {
        VectorSpecies<Float> species = speciesOf(bits);
        LstmCell cell = LstmCell.of(species);
        for (int vectors : new int[] {1, 2, 3, 4, 5}) {
            int hidden = vectors * species.length();
            for (boolean backwards : new boolean[] {false, true}) {
                checkStep(cell, hidden, backwards, new Random(31L * hidden + (backwards ? 1 : 0)));
            }
        }
    }

    private static void checkStep(LstmCell cell, int hidden, boolean backwards, Random rnd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = arena.allocate(4L * 4 * hidden * hidden), packed = arena.allocate(4L * 4 * hidden * hidden);
            MemorySegment g = arena.allocate(4L * 4 * hidden), state = arena.allocate(8L * hidden);
            float[] g0 = new float[4 * hidden], h0 = new float[hidden];
            for (long k = 0; k < 4L * hidden * hidden; k++) r.setAtIndex(F, k, (rnd.nextFloat() * 2 - 1) / (float) Math.sqrt(hidden));
            for (int k = 0; k < 4 * hidden; k++) g.setAtIndex(F, k, g0[k] = rnd.nextFloat() * 4 - 2);
            for (int j = 0; j < hidden; j++) state.setAtIndex(F, j, h0[j] = rnd.nextFloat() * 2 - 1);
            double[] c0 = new double[hidden];
            for (int j = 0; j < hidden; j++) state.setAtIndex(F, hidden + j, (float) (c0[j] = rnd.nextFloat() * 2 - 1));
            assertEquals(4L * hidden * hidden, LstmCell.packedRecurrenceSize(hidden));
            cell.packRecurrence(r, 0, hidden, packed, 0);
            cell.step(hidden, packed, 0, g, 0, state, 4L * hidden, 0, backwards);
            for (int j = 0; j < hidden; j++) {
                double[] gate = new double[4];
                for (int q = 0; q < 4; q++) {
                    gate[q] = g0[q * hidden + j];
                    for (int k = 0; k < hidden; k++) gate[q] += r.getAtIndex(F, (long) (q * hidden + j) * hidden + k) * h0[k];
                }
                double cNew = sigmoid(gate[2]) * c0[j] + sigmoid(gate[0]) * Math.tanh(gate[3]);
                String where = "hidden " + hidden + (backwards ? " backwards" : " forwards") + ", unit " + j;
                assertEquals(cNew, state.getAtIndex(F, hidden + j), 2e-5, "c: " + where);
                assertEquals(sigmoid(gate[1]) * Math.tanh(cNew), state.getAtIndex(F, j), 2e-5, "h: " + where);
            }
        }
    }

    /**
     * Raw bits: a step is the product summed in the kernel's order (per unit, from zero, one fused
     * multiply-add per k, forwards or backwards), added onto g, then {@link LstmCell#update}, for
     * every packing (four vectors per gate run as gate pairs or in one pass, by
     * {@code -Dedgerun.lstm.gatePairs}; both sum each unit in this order).
     */
    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void stepHasTheBitsOfItsSummationOrder(int bits) {
        VectorSpecies<Float> species = speciesOf(bits);
        LstmCell cell = LstmCell.of(species);
        for (int vectors : new int[] {2, 4, 6, 8}) {   // blocks of two and four vectors (one sums even and odd k apart)
            int hidden = vectors * species.length();
            for (boolean backwards : new boolean[] {false, true}) {
                checkStepBits(cell, hidden, backwards, new Random(17L * hidden + (backwards ? 1 : 0)));
            }
        }
    }

    private static void checkStepBits(LstmCell cell, int hidden, boolean backwards, Random rnd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = arena.allocate(4L * 4 * hidden * hidden), packed = arena.allocate(4L * 4 * hidden * hidden);
            MemorySegment g = arena.allocate(4L * 4 * hidden), state = arena.allocate(8L * hidden);
            MemorySegment expectedG = arena.allocate(4L * 4 * hidden), expectedState = arena.allocate(8L * hidden);
            for (long k = 0; k < 4L * hidden * hidden; k++) r.setAtIndex(F, k, (rnd.nextFloat() * 2 - 1) / (float) Math.sqrt(hidden));
            for (int k = 0; k < 4 * hidden; k++) g.setAtIndex(F, k, rnd.nextFloat() * 4 - 2);
            for (int j = 0; j < 2 * hidden; j++) state.setAtIndex(F, j, rnd.nextFloat() * 2 - 1);
            expectedState.copyFrom(state);
            for (int row = 0; row < 4 * hidden; row++) {
                float sum = 0;
                for (int n = 0; n < hidden; n++) {
                    int k = backwards ? hidden - 1 - n : n;
                    sum = Math.fma(state.getAtIndex(F, k), r.getAtIndex(F, (long) row * hidden + k), sum);
                }
                expectedG.setAtIndex(F, row, sum + g.getAtIndex(F, row));
            }
            cell.update(expectedG, 0, expectedState, 4L * hidden, 0, hidden);
            cell.packRecurrence(r, 0, hidden, packed, 0);
            cell.step(hidden, packed, 0, g, 0, state, 4L * hidden, 0, backwards);
            for (int j = 0; j < 2 * hidden; j++) {
                assertEquals(Float.floatToRawIntBits(expectedState.getAtIndex(F, j)), Float.floatToRawIntBits(state.getAtIndex(F, j)),
                        (j < hidden ? "h" : "c") + "[" + j % hidden + "], hidden " + hidden + (backwards ? " backwards" : " forwards"));
            }
        }
    }

    @Test
    void stepRefusesAHiddenSizeOfPartVectors() {
        LstmCell cell = LstmCell.of(speciesOf(512));
        int hidden = cell.s().length() + 1;
        assertFalse(cell.fusesStep(hidden));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(4L * 4 * hidden * hidden);
            assertThrows(IllegalArgumentException.class, () -> cell.packRecurrence(m, 0, hidden, m, 0));
        }
    }

    private static VectorSpecies<Float> speciesOf(int bits) {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= bits
                ? VectorSpecies.of(float.class, VectorShape.forBitSize(bits)) : FloatVector.SPECIES_PREFERRED;
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
