package dev.edgerun.runtime.ops.sequence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.engine.NativeEngine;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.ir.ValueType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sequence and optional operators chained on the native engine. */
class SequenceOpsTest {

    private static Session session(Graph g) {
        return new NativeEngine().compile(Model.builder().graph(g).opset(18).build(), SessionOptions.defaults());
    }

    private static Value unknown(String name, DType t) {
        return new Value(name, new ValueType.TensorType(t, null), "");
    }

    @Test
    void splitInsertEraseAndConcatBack() {
        // split x [4, 2] into rows of sizes 1, 3; insert y at the front; erase the last; concat along 0
        Graph g = Graph.builder("seq").input(Value.tensor("x", DType.FLOAT, 4, 2)).input(Value.tensor("y", DType.FLOAT, 1, 2))
                .initializer("split", Tensor.of(new long[] {1, 3}, 2)).initializer("zero", Tensor.scalar(0L))
                .output(unknown("z", DType.FLOAT)).output(unknown("n", DType.INT64)).output(unknown("first", DType.FLOAT))
                .node("SplitToSequence", List.of("x", "split"), List.of("parts"))
                .node("SequenceInsert", List.of("parts", "y", "zero"), List.of("withY"))
                .node("SequenceErase", List.of("withY"), List.of("trimmed"))
                .node("SequenceLength", List.of("trimmed"), List.of("n"))
                .node("SequenceAt", List.of("trimmed", "zero"), List.of("first"))
                .node("ConcatFromSequence", List.of("trimmed"), List.of("z"), Attribute.of("axis", 0L)).build();
        try (Session s = session(g); Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, 2);
             Tensor y = Tensor.of(new float[] {-1, -2}, 1, 2); RunResult r = s.run(Map.of("x", x, "y", y))) {
            assertEquals(2L, r.get("n").getLong(0));
            assertArrayEquals(new float[] {-1, -2}, r.get("first").toFloatArray());
            assertEquals(Shape.of(2, 2), r.get("z").shape());
            assertArrayEquals(new float[] {-1, -2, 1, 2}, r.get("z").toFloatArray());
        }
    }

    @Test
    void constructAndStackOnANewAxis() {
        Graph g = Graph.builder("stack").input(Value.tensor("a", DType.FLOAT, 2)).input(Value.tensor("b", DType.FLOAT, 2))
                .output(unknown("s", DType.FLOAT)).output(Value.tensor("has", DType.BOOL))
                .node("SequenceConstruct", List.of("a", "b"), List.of("seq"))
                .node("ConcatFromSequence", List.of("seq"), List.of("s"), Attribute.of("axis", -1L), Attribute.of("new_axis", 1L))
                .node("Optional", List.of("a"), List.of("opt"))
                .node("OptionalHasElement", List.of("opt"), List.of("has")).build();
        try (Session s = session(g); Tensor a = Tensor.of(new float[] {1, 2}, 2); Tensor b = Tensor.of(new float[] {3, 4}, 2);
             RunResult r = s.run(Map.of("a", a, "b", b))) {
            assertEquals(Shape.of(2, 2), r.get("s").shape());
            assertArrayEquals(new float[] {1, 3, 2, 4}, r.get("s").toFloatArray());
            assertArrayEquals(new boolean[] {true}, r.get("has").toBooleanArray());
        }
    }
}
