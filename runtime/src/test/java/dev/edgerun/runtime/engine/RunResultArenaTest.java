package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The outputs of one native run share one arena owned by the result; detached outputs outlive it. */
class RunResultArenaTest {

    /** mlp with the hidden activation as a second output. */
    private static Model twoOutputs() {
        Graph g = SteadyStateModels.mlp().graph().toBuilder()
                .output(Value.tensor("r", DType.FLOAT, 1, 128))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }

    @Test
    void outputsBorrowOneArenaAndDetachCopies() {
        Model m = twoOutputs();
        SessionOptions options = SessionOptions.builder().engine("native").threads(1).build();
        float[] expectedY;
        float[] expectedR;
        try (Session s = Edgerun.session(m, options);
             Tensor x = Tensor.of(SteadyStateModels.values(64, 3), 1, 64);
             Tensor y = Tensor.allocate(DType.FLOAT, 1, 10);
             Tensor r = Tensor.allocate(DType.FLOAT, 1, 128)) {
            s.run(Map.of("x", x), Map.of("y", y, "r", r));
            expectedY = y.toFloatArray();
            expectedR = r.toFloatArray();
            Tensor detached;
            Tensor kept;
            try (RunResult result = s.run(Map.of("x", x))) {
                kept = result.get("r");
                assertFalse(kept.ownsMemory(), "outputs borrow the result's arena");
                assertFalse(result.get("y").ownsMemory());
                assertEquals(result.get("y").data().address() + 64, kept.data().address(),
                        "one block, outputs in model order, each 64-byte aligned");
                detached = result.detach("y");
                assertTrue(detached.ownsMemory(), "a detached output owns its memory");
                assertEquals(1, result.size());
                assertArrayEquals(expectedR, kept.toFloatArray(), 0f);
            }
            try (detached) {
                assertArrayEquals(expectedY, detached.toFloatArray(), 0f, "valid after the result is closed");
            }
            assertThrows(IllegalStateException.class, () -> kept.data().get(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0),
                    "the arena is freed with the result");
        }
    }

    @Test
    void closedResultsGiveTheirBlockBackAndOpenOnesOutliveTheSession() {
        SessionOptions options = SessionOptions.builder().engine("native").threads(1).build();
        Session s = Edgerun.session(twoOutputs(), options);
        try (Tensor x = Tensor.of(SteadyStateModels.values(64, 3), 1, 64)) {
            long first;
            float[] expected;
            try (RunResult r = s.run(Map.of("x", x))) {
                first = r.get("y").data().address();
                expected = r.get("y").toFloatArray();
            }
            RunResult open = s.run(Map.of("x", x));
            assertEquals(first, open.get("y").data().address(), "the block of a closed result is reused");
            try (RunResult other = s.run(Map.of("x", x))) {
                assertTrue(other.get("y").data().address() != first, "a block in use is not handed out twice");
                assertArrayEquals(expected, other.get("y").toFloatArray(), 0f);
            }
            s.close();
            try (open) {
                assertArrayEquals(expected, open.get("y").toFloatArray(), 0f, "valid after the session is closed");
            }
        } finally {
            s.close();
        }
    }

    /** Outputs that are an input, a constant and an arena buffer: copied into the result, equal to run(Map, Map). */
    @Test
    void inputConstantAndArenaOutputsAreCopiedIntoTheResult() {
        Graph g = SteadyStateModels.mlp().graph().toBuilder()
                .output(Value.tensor("x", DType.FLOAT, 1, 64))
                .output(Value.tensor("b2", DType.FLOAT, 10))
                .build();
        SessionOptions options = SessionOptions.builder().engine("native").threads(1).build();
        try (Session s = Edgerun.session(Model.builder().graph(g).opset(17).build(), options);
             Tensor x = Tensor.of(SteadyStateModels.values(64, 3), 1, 64);
             Tensor y = Tensor.allocate(DType.FLOAT, 1, 10)) {
            s.run(Map.of("x", x), Map.of("y", y));
            for (int run = 0; run < 3; run++) {
                try (RunResult r = s.run(Map.of("x", x))) {
                    assertEquals(java.util.List.of("y", "x", "b2"), r.names());
                    assertArrayEquals(y.toFloatArray(), r.get("y").toFloatArray(), 0f);
                    assertArrayEquals(x.toFloatArray(), r.get("x").toFloatArray(), 0f);
                    assertTrue(r.get("x").data().address() != x.data().address(), "an input output is a copy");
                    assertArrayEquals(SteadyStateModels.values(10, 4), r.get("b2").toFloatArray(), 0f);
                }
            }
        }
    }

    /** A graph listing one output twice still returns it once (the general path). */
    @Test
    void anOutputListedTwiceIsReturnedOnce() {
        Graph g = SteadyStateModels.mlp().graph().toBuilder()
                .output(Value.tensor("y", DType.FLOAT, 1, 10))
                .build();
        SessionOptions options = SessionOptions.builder().engine("native").threads(1).build();
        try (Session s = Edgerun.session(Model.builder().graph(g).opset(17).build(), options);
             Tensor x = Tensor.of(SteadyStateModels.values(64, 3), 1, 64);
             Tensor y = Tensor.allocate(DType.FLOAT, 1, 10);
             RunResult r = s.run(Map.of("x", x))) {
            s.run(Map.of("x", x), Map.of("y", y));
            assertEquals(1, r.size());
            assertArrayEquals(y.toFloatArray(), r.get("y").toFloatArray(), 0f);
        }
    }
}
