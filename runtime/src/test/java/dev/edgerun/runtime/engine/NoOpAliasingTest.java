package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reshape, Flatten, Squeeze, Unsqueeze, Identity and inference Dropout become views of their input's buffer. */
class NoOpAliasingTest {
    private static final SessionOptions OPTIONS = SessionOptions.builder().engine("native").threads(1).build();

    /**
     * x[2,3,4] -> Relu -> Reshape[6,4] -> Unsqueeze(0) -> Squeeze(0) -> Flatten -> Identity -> Dropout
     * -> y (a graph output that is a view), and y -> Neg -> z; plus x -> Identity -> w (a graph input
     * is never aliased: the caller owns it).
     */
    private static Model chain() {
        Graph g = Graph.builder("views")
                .input(Value.tensor("x", DType.FLOAT, 2, 3, 4))
                .initializer("shape", Tensor.of(new long[] {6, 4}, 2))
                .initializer("axes", Tensor.of(new long[] {0}, 1))
                .node("Relu", List.of("x"), List.of("r"))
                .node("Reshape", List.of("r", "shape"), List.of("a"))
                .node("Unsqueeze", List.of("a", "axes"), List.of("b"))
                .node("Squeeze", List.of("b", "axes"), List.of("c"))
                .node("Flatten", List.of("c"), List.of("d"), Attribute.of("axis", 0L))
                .node("Identity", List.of("d"), List.of("e"))
                .node("Dropout", List.of("e"), List.of("y"))
                .node("Neg", List.of("y"), List.of("z"))
                .node("Identity", List.of("x"), List.of("w"))
                .output(Value.tensor("y", DType.FLOAT, 1, 24))
                .output(Value.tensor("z", DType.FLOAT, 1, 24))
                .output(Value.tensor("w", DType.FLOAT, 2, 3, 4))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }

    @Test
    void noOpsBecomeViewsAndResultsStayRight() {
        float[] x = SteadyStateModels.values(24, 5);
        float[] relu = new float[24];
        float[] neg = new float[24];
        for (int i = 0; i < 24; i++) {
            relu[i] = Math.max(0, x[i]);
            neg[i] = -relu[i];
        }
        try (NativeSession s = (NativeSession) Edgerun.session(chain(), OPTIONS);
             Tensor in = Tensor.of(x, 2, 3, 4)) {
            assertEquals(6, s.planStats().aliasedNodes(), s.explainPlan());
            assertEquals(3, s.planStats().steps(), "Relu, Neg and the Identity of the graph input run: " + s.explainPlan());
            for (int run = 0; run < 2; run++) {
                try (RunResult r = s.run(Map.of("x", in))) {
                    assertArrayEquals(relu, r.get("y").toFloatArray(), 0f);
                    assertArrayEquals(new long[] {1, 24}, r.get("y").shape().dims());
                    assertArrayEquals(neg, r.get("z").toFloatArray(), 0f);
                    assertArrayEquals(x, r.get("w").toFloatArray(), 0f);
                }
            }
        }
    }

    @Test
    void optimizationNoneStillAliasesButRunsCorrectly() {
        SessionOptions none = SessionOptions.builder().engine("native").threads(1)
                .optimization(SessionOptions.OptimizationLevel.NONE).build();
        float[] x = SteadyStateModels.values(24, 6);
        try (NativeSession s = (NativeSession) Edgerun.session(chain(), none);
             Tensor in = Tensor.of(x, 2, 3, 4);
             RunResult r = s.run(Map.of("x", in))) {
            assertEquals(6, s.planStats().aliasedNodes(), "aliasing changes no values: " + s.explainPlan());
            assertArrayEquals(x, r.get("w").toFloatArray(), 0f);
            for (int i = 0; i < 24; i++) assertEquals(Math.max(0, x[i]), r.get("y").getFloat(i), 0f);
        }
    }
}
