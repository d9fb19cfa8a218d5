package dev.edgerun.runtime.ops.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How the per-tensor QuantizeLinear/DequantizeLinear runs ({@link Q8Runs}) and the parts of a
 * same-shape QLinearAdd ({@link QLinearAdd#partStart}) cut a tensor for threads: contiguous parts
 * covering every element once, starts on 64-byte multiples, parts of one size (the last run
 * shorter by less than 64 elements per run, the add's parts within 64 elements of their share),
 * none much shorter than a chunk unless the tensor is.
 */
class Q8SplitPartsTest {

    @ParameterizedTest(name = "{0} elements")
    @ValueSource(longs = {0, 1, 63, 65535, 65536, 75264, 131072, 132073, 150528, 200704, 1_000_003})
    void perTensorRunsAreEqualAndCoverTheTensor(long elements) {
        Q8Runs runs = Q8Runs.perTensor(elements);
        long covered = 0;
        for (int r = 0; r < runs.count(); r++) {
            assertEquals(covered, runs.offset(r), "run " + r + " starts where the last ended");
            assertEquals(0, runs.offset(r) % 64, "run " + r + " starts on a 64-byte multiple");
            assertEquals(0, runs.param(r));
            if (runs.count() > 1) assertTrue(runs.length(r) >= Q8Runs.CHUNK - 64, "run " + r + " of " + runs.length(r));
            if (r < runs.count() - 1) assertEquals(runs.length(0), runs.length(r), "runs of one size but the last");
            else assertTrue(runs.length(r) > runs.length(0) - 64L * runs.count(), "the last run short by less than 64 per run");
            covered += runs.length(r);
        }
        assertEquals(elements, covered);
        assertEquals(Math.max(1, elements / Q8Runs.CHUNK), Math.max(1, runs.count()), "one run per whole chunk");
    }

    @ParameterizedTest(name = "{0} elements")
    @ValueSource(longs = {131072, 132073, 150528, 200704, 1_000_003})
    void addPartsAreEqualAndCoverTheTensor(long count) {
        int parts = (int) (count / QLinearAdd.CHUNK);
        assertEquals(0, QLinearAdd.partStart(0, parts, count));
        assertEquals(count, QLinearAdd.partStart(parts, parts, count));
        for (int p = 0; p < parts; p++) {
            long from = QLinearAdd.partStart(p, parts, count), to = QLinearAdd.partStart(p + 1, parts, count);
            assertEquals(0, from % 64, "part " + p + " starts on a 64-byte multiple");
            assertTrue(to - from >= QLinearAdd.CHUNK - 64 && to - from <= (count + parts - 1) / parts + 64, "part " + p + ": " + (to - from));
        }
    }
}
