package dev.edgerun.runtime.ops.control;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ResourceLimitException;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.engine.NativeEngine;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.ir.ValueType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** If, Loop and Scan on the native engine, with bodies that read outer values and outputs whose shape depends on data. */
class ControlFlowTest {

    private static Session session(Graph g, long opset) {
        return new NativeEngine().compile(Model.builder().graph(g).opset(opset).build(), SessionOptions.defaults());
    }

    private static Value unknown(String name) {
        return new Value(name, new ValueType.TensorType(DType.FLOAT, null), "");
    }

    @Test
    void ifRunsTheChosenBranchAndOutputsItsShape() {
        Graph thenBranch = Graph.builder("then").output(unknown("t"))
                .node("Add", List.of("x", "x"), List.of("t")).build();
        Graph elseBranch = Graph.builder("else").output(unknown("e"))
                .node("Concat", List.of("x", "x"), List.of("e"), Attribute.of("axis", 0L)).build();
        Graph g = Graph.builder("if").input(Value.tensor("c", DType.BOOL)).input(Value.tensor("x", DType.FLOAT, 2))
                .output(unknown("y"))
                .node(Node.builder("If").inputs("c").outputs("y").attribute("then_branch", thenBranch)
                        .attribute("else_branch", elseBranch).build()).build();
        try (Session s = session(g, 13); Tensor x = Tensor.of(new float[] {1, 2}, 2)) {
            try (Tensor c = Tensor.of(new boolean[] {true}); RunResult r = s.run(Map.of("c", c, "x", x))) {
                assertArrayEquals(new float[] {2, 4}, r.get("y").toFloatArray());
            }
            try (Tensor c = Tensor.of(new boolean[] {false}); RunResult r = s.run(Map.of("c", c, "x", x))) {
                assertEquals(Shape.of(4), r.get("y").shape());
                assertArrayEquals(new float[] {1, 2, 1, 2}, r.get("y").toFloatArray());
            }
        }
    }

    @Test
    void loopCarriesASumAndStacksAScanOutput() {
        // body(i, cond, s) = (cond, s + x, s + x)
        Graph body = Graph.builder("body")
                .input(Value.tensor("i", DType.INT64)).input(Value.tensor("cin", DType.BOOL)).input(unknown("s"))
                .output(Value.tensor("cout", DType.BOOL)).output(unknown("s2")).output(unknown("scan"))
                .node("Identity", List.of("cin"), List.of("cout"))
                .node("Add", List.of("s", "x"), List.of("s2"))
                .node("Identity", List.of("s2"), List.of("scan")).build();
        Graph g = Graph.builder("loop").input(Value.tensor("m", DType.INT64)).input(Value.tensor("c", DType.BOOL))
                .input(Value.tensor("s0", DType.FLOAT, 3)).input(Value.tensor("x", DType.FLOAT, 3))
                .output(unknown("sum")).output(unknown("all"))
                .node(Node.builder("Loop").inputs("m", "c", "s0").outputs("sum", "all").attribute("body", body).build()).build();
        try (Session s = session(g, 13); Tensor m = Tensor.scalar(4L); Tensor c = Tensor.of(new boolean[] {true});
             Tensor s0 = Tensor.of(new float[] {0, 10, 20}, 3); Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
             RunResult r = s.run(Map.of("m", m, "c", c, "s0", s0, "x", x))) {
            assertArrayEquals(new float[] {4, 18, 32}, r.get("sum").toFloatArray());
            assertEquals(Shape.of(4, 3), r.get("all").shape());
            assertArrayEquals(new float[] {1, 12, 23, 2, 14, 26, 3, 16, 29, 4, 18, 32}, r.get("all").toFloatArray());
        }
    }

    @Test
    void aLoopWhoseConditionNeverTurnsFalseIsStoppedAtTheIterationLimit() {
        // body(i, cond, s) = (cond, s + x): with no trip count and cond always true it would never end
        Graph body = Graph.builder("body")
                .input(Value.tensor("i", DType.INT64)).input(Value.tensor("cin", DType.BOOL)).input(unknown("s"))
                .output(Value.tensor("cout", DType.BOOL)).output(unknown("s2"))
                .node("Identity", List.of("cin"), List.of("cout"))
                .node("Add", List.of("s", "x"), List.of("s2")).build();
        Graph g = Graph.builder("forever").input(Value.tensor("c", DType.BOOL))
                .input(Value.tensor("s0", DType.FLOAT, 1)).input(Value.tensor("x", DType.FLOAT, 1))
                .output(unknown("sum"))
                .node(Node.builder("Loop").inputs("", "c", "s0").outputs("sum").attribute("body", body).build()).build();
        System.setProperty(Loop.MAX_ITERATIONS_PROPERTY, "500");
        try (Session s = session(g, 13); Tensor c = Tensor.of(new boolean[] {true});
             Tensor s0 = Tensor.of(new float[] {0}, 1); Tensor x = Tensor.of(new float[] {1}, 1)) {
            ResourceLimitException e = assertThrows(ResourceLimitException.class,
                    () -> s.run(Map.of("c", c, "s0", s0, "x", x)).close());
            assertTrue(e.getMessage().contains("500 iterations"), e.getMessage());
            assertTrue(e.getMessage().contains(Loop.MAX_ITERATIONS_PROPERTY), e.getMessage());
        } finally {
            System.clearProperty(Loop.MAX_ITERATIONS_PROPERTY);
        }
    }

    @Test
    void scanRunsOverAxisOneBackwardsAndStacksOnAxisOne() {
        // body(state, row) = (state + row, state + row): a running sum over the columns of x, last column first
        Graph body = Graph.builder("body").input(unknown("st")).input(unknown("col"))
                .output(unknown("st2")).output(unknown("out"))
                .node("Add", List.of("st", "col"), List.of("st2"))
                .node("Identity", List.of("st2"), List.of("out")).build();
        Graph g = Graph.builder("scan").input(Value.tensor("init", DType.FLOAT, 2)).input(Value.tensor("x", DType.FLOAT, 2, 3))
                .output(unknown("final")).output(unknown("sums"))
                .node(Node.builder("Scan").inputs("init", "x").outputs("final", "sums").attribute("body", body)
                        .attribute("num_scan_inputs", 1L).attribute("scan_input_axes", new long[] {1})
                        .attribute("scan_input_directions", new long[] {1}).attribute("scan_output_axes", new long[] {1}).build())
                .build();
        try (Session s = session(g, 16); Tensor init = Tensor.of(new float[] {0, 100}, 2);
             Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3); RunResult r = s.run(Map.of("init", init, "x", x))) {
            assertArrayEquals(new float[] {6, 115}, r.get("final").toFloatArray());
            assertEquals(Shape.of(2, 3), r.get("sums").shape());
            // column order visited: 2, 1, 0
            assertArrayEquals(new float[] {3, 5, 6, 106, 111, 115}, r.get("sums").toFloatArray());
        }
    }
}
