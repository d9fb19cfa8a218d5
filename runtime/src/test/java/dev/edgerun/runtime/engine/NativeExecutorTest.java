package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.InvalidInputException;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.ResourceLimitException;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.UnsupportedOperatorException;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Function;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NativeExecutorTest {

    private static final SessionOptions OPTIONS = SessionOptions.defaults();

    static Node op(String opType, List<String> in, List<String> out, Attribute... attrs) {
        Node.Builder b = Node.builder(opType).domain(TestOps.DOMAIN).name(opType + "_" + out.get(0)).inputs(in).outputs(out);
        for (Attribute a : attrs) b.attribute(a);
        return b.build();
    }

    static Node onnx(String opType, List<String> in, List<String> out, Attribute... attrs) {
        Node.Builder b = Node.builder(opType).name(opType + "_" + out.get(0)).inputs(in).outputs(out);
        for (Attribute a : attrs) b.attribute(a);
        return b.build();
    }

    static Model model(Graph g) {
        return Model.builder().graph(g).opset(17).opset(TestOps.DOMAIN, 1).build();
    }

    static NativeSession session(Model m, SessionOptions options) {
        return new NativeSession(m, options, new TestOps());
    }

    static float[] floats(int n, int seed) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = ((i * 7919 + seed * 104729) % 201 - 100) / 10f;
        return r;
    }

    /** x -> Relu -> Relu -> ... (n times) -> y */
    static Model reluChain(int n, Shape shape) {
        Graph.Builder g = Graph.builder("chain").input(Value.tensor("x", DType.FLOAT, shape));
        String prev = "x";
        for (int i = 0; i < n; i++) {
            String next = i == n - 1 ? "y" : "v" + i;
            g.node(op("Relu", List.of(prev), List.of(next)));
            prev = next;
        }
        return model(g.output(new Value("y", null, "")).build());
    }

    @Test
    void engineIsFoundThroughServiceLoaderAndIsAvailable() {
        Engine e = Edgerun.engine("native");
        assertTrue(e instanceof NativeEngine);
        assertTrue(e.availability().available(), e.availability().detail());
    }

    @Test
    void runsAChainAndReusesArenaMemoryByLiveness() {
        Shape shape = Shape.of(256, 1024); // 1 MiB per value
        float[] in = floats(256 * 1024, 1);
        try (NativeSession s = session(reluChain(6, shape), OPTIONS);
             Tensor x = Tensor.of(in, 256, 1024);
             RunResult r = s.run(Map.of("x", x))) {
            float[] y = r.get("y").toFloatArray();
            for (int i = 0; i < in.length; i++) assertEquals(Math.max(0, in[i]), y[i]);
            NativeSession.PlanStats st = s.planStats();
            assertEquals(6L << 20, st.unsharedBytes(), "six 1 MiB values without reuse");
            // In a chain only a step's input and output are alive together: two buffers suffice.
            assertEquals(2L << 20, st.arenaBytes(), "arena after reuse");
            assertEquals(st.arenaBytes(), s.plannedPeakBytes());
        }
    }

    @Test
    void symbolicBatchIsPlannedPerShapeAndPlansAreCached() {
        Shape batchByFour = Shape.symbolic(new long[] {-1, 4}, new String[] {"batch", null});
        try (NativeSession s = session(reluChain(3, batchByFour), OPTIONS)) {
            long before = s.planStats().plansMade(); // the trial plan (batch = 1) made at compile time
            assertEquals(1, before);
            for (int batch : new int[] {1, 3, 1, 5, 3}) {
                float[] in = floats(batch * 4, batch);
                try (Tensor x = Tensor.of(in, batch, 4); RunResult r = s.run(Map.of("x", x))) {
                    assertArrayEquals(new long[] {batch, 4}, r.get("y").shape().dims());
                    float[] y = r.get("y").toFloatArray();
                    for (int i = 0; i < in.length; i++) assertEquals(Math.max(0, in[i]), y[i]);
                }
            }
            assertEquals(3, s.planStats().plansMade(), "one plan per distinct batch size (1, 3, 5)");
            assertEquals(3, s.planStats().cachedPlans());
            // Planning without running, as edgerun inspect does: 7 x 4 floats, two values alive at once.
            NativeSession.PlanStats seven = s.plan(Map.of("x", Shape.of(7, 4)));
            assertEquals(4, seven.plansMade());
            assertEquals(2 * 128, seven.arenaBytes());
        }
    }

    @Test
    void foldsConstantSubgraphsAtPlanTimeOnly() {
        // c = Count(w) depends only on an initializer: folded once; y = Add(x, c) runs every time.
        Tensor w = Tensor.of(new float[] {1, 2, 3, 4}, 4);
        Graph g = Graph.builder("fold").input(Value.tensor("x", DType.FLOAT, 4)).initializer("w", w)
                .node(op("Count", List.of("w"), List.of("c")))
                .node(op("Add", List.of("x", "c"), List.of("y")))
                .output(Value.tensor("y", DType.FLOAT, 4)).build();
        TestOps.COUNT_RUNS.set(0);
        try (NativeSession s = session(model(g), OPTIONS); Tensor x = Tensor.of(new float[] {10, 20, 30, 40}, 4)) {
            for (int i = 0; i < 3; i++) {
                try (RunResult r = s.run(Map.of("x", x))) {
                    assertArrayEquals(new float[] {11, 22, 33, 44}, r.get("y").toFloatArray());
                }
            }
            assertEquals(1, TestOps.COUNT_RUNS.get(), "the folded node ran once, at plan time");
            assertEquals(1, s.planStats().foldedNodes());
            assertEquals(1, s.planStats().steps());
        }
        TestOps.COUNT_RUNS.set(0);
        SessionOptions noFolding = SessionOptions.builder().optimization(SessionOptions.OptimizationLevel.NONE).build();
        try (NativeSession s = session(model(g), noFolding); Tensor x = Tensor.of(new float[] {10, 20, 30, 40}, 4)) {
            for (int i = 0; i < 3; i++) s.run(Map.of("x", x)).close();
            assertEquals(3, TestOps.COUNT_RUNS.get(), "without folding the node runs every time");
        }
        w.close();
    }

    @Test
    void shapeArithmeticBecomesConstant() {
        // y = Reshape(x, Concat(Gather(Shape(x), 0), [-1])): PyTorch's flatten pattern.
        Graph g = Graph.builder("flatten").input(Value.tensor("x", DType.FLOAT, 2, 3, 4))
                .initializer("zero", Tensor.scalar(0L)).initializer("minus1", Tensor.of(new long[] {-1}, 1))
                .node(onnx("Shape", List.of("x"), List.of("s")))
                .node(onnx("Gather", List.of("s", "zero"), List.of("n"), Attribute.of("axis", 0L)))
                .node(onnx("Unsqueeze", List.of("n"), List.of("n1"), Attribute.of("axes", new long[] {0})))
                .node(onnx("Concat", List.of("n1", "minus1"), List.of("shape"), Attribute.of("axis", 0L)))
                .node(onnx("Reshape", List.of("x", "shape"), List.of("y")))
                .output(new Value("y", null, "")).build();
        Model m = Model.builder().graph(g).opset(11).build();
        float[] in = floats(24, 3);
        try (NativeSession s = session(m, OPTIONS); Tensor x = Tensor.of(in, 2, 3, 4); RunResult r = s.run(Map.of("x", x))) {
            assertArrayEquals(new long[] {2, 12}, r.get("y").shape().dims());
            assertArrayEquals(in, r.get("y").toFloatArray());
            assertEquals(1, s.planStats().steps(), "only Reshape is left to run");
            String plan = s.explainPlan();
            assertTrue(plan.contains("1 steps") && plan.contains("4 nodes folded") && plan.contains("(Reshape, opset 11) -> y:float[2, 12]@0"),
                    plan);
            assertEquals(4, s.planStats().foldedNodes());
        }
    }

    @Test
    void reportsEveryUnsupportedNodeAtOnce() {
        Graph g = Graph.builder("bad").input(Value.tensor("x", DType.FLOAT, 4))
                .node(Node.builder("FancyOp").name("fancy1").inputs("x").outputs("a").build())
                .node(op("Unsupported", List.of("a"), List.of("b")))
                .node(op("Unsupported", List.of("x"), List.of("c")))
                .node(Node.builder("OtherOp").domain("com.example").name("other").inputs("x").outputs("d").build())
                .node(op("Add", List.of("c", "d"), List.of("y")))
                .output(new Value("y", null, "")).build();
        UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class, () -> session(model(g), OPTIONS));
        List<String> nodes = new ArrayList<>();
        for (UnsupportedOperatorException.Miss m : e.misses()) nodes.add(m.nodeName());
        // Unsupported_b is not prepared: its input comes from the unknown FancyOp.
        assertEquals(List.of("fancy1", "other", "Unsupported_c"), nodes);
        assertTrue(e.getMessage().contains("FancyOp"), e.getMessage());
        assertTrue(e.getMessage().contains("never supported"), e.getMessage());
        assertEquals("native", e.engine());
    }

    @Test
    void errorsNameTheNode() {
        Graph bad = Graph.builder("bad").input(Value.tensor("x", DType.FLOAT, 4))
                .node(op("BadAttribute", List.of("x"), List.of("y"), Attribute.of("k", -2L)))
                .output(new Value("y", null, "")).build();
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> session(model(bad), OPTIONS));
        assertEquals("node 'BadAttribute_y' (test BadAttribute, opset 1): attribute 'k' must be positive, got -2", e.getMessage());

        Graph crash = Graph.builder("crash").input(Value.tensor("x", DType.FLOAT, 4))
                .node(op("Crash", List.of("x"), List.of("y")))
                .output(new Value("y", null, "")).build();
        try (NativeSession s = session(model(crash), OPTIONS); Tensor x = Tensor.of(new float[4], 4)) {
            EdgerunException r = assertThrows(EdgerunException.class, () -> s.run(Map.of("x", x)));
            assertTrue(r.getMessage().startsWith("node 'Crash_y' (test Crash, opset 1) failed: "), r.getMessage());
            assertTrue(r.getCause() instanceof ArrayIndexOutOfBoundsException);
            // The session stays usable after a failed run.
            assertThrows(EdgerunException.class, () -> s.run(Map.of("x", x)));
        }
    }

    @Test
    void refusesAPlanOverTheMemoryLimit() {
        SessionOptions limited = SessionOptions.builder().memoryLimit(1L << 20).build();
        ResourceLimitException e = assertThrows(ResourceLimitException.class,
                () -> session(reluChain(3, Shape.of(256, 1024)), limited));
        assertTrue(e.getMessage().contains("needs 2.0 MiB") && e.getMessage().contains("limit 1.0 MiB"), e.getMessage());
        // The same model fits a limit of 2 MiB.
        session(reluChain(3, Shape.of(256, 1024)), SessionOptions.builder().memoryLimit(2L << 20).build()).close();
    }

    @Test
    void refusesRunTimeAllocationsOverTheMemoryLimit() {
        Graph g = Graph.builder("dyn").input(Value.tensor("x", DType.FLOAT, 1 << 20))
                .node(op("Positive", List.of("x"), List.of("p")))
                .output(new Value("p", null, "")).build();
        float[] ones = new float[1 << 20];
        java.util.Arrays.fill(ones, 1f);
        try (NativeSession s = session(model(g), SessionOptions.builder().memoryLimit(2L << 20).build());
             Tensor small = Tensor.of(new float[1 << 20], 1 << 20); Tensor big = Tensor.of(ones, 1 << 20)) {
            s.run(Map.of("x", small)).close(); // no positive element: an empty output
            ResourceLimitException e = assertThrows(ResourceLimitException.class, () -> s.run(Map.of("x", big)));
            assertTrue(e.getMessage().contains("needs 4.0 MiB") && e.getMessage().contains("of 2.0 MiB in use"), e.getMessage());
        }
    }

    @Test
    void outputsBelongToTheCallerAndSurviveSessionClose() {
        Tensor y;
        Tensor x = Tensor.of(new float[] {-1, 2, -3, 4}, 4);
        NativeSession s = session(reluChain(2, Shape.of(4)), OPTIONS);
        RunResult r = s.run(Map.of("x", x));
        y = r.detach("y");
        r.close();
        s.close();
        s.close(); // idempotent
        assertArrayEquals(new float[] {0, 2, 0, 4}, y.toFloatArray());
        assertTrue(y.ownsMemory());
        assertThrows(IllegalStateException.class, () -> s.run(Map.of("x", x)));
        y.close();
        x.close();
    }

    @Test
    void outputsThatAreInitializersOrInputsAreCopies() {
        Tensor w = Tensor.of(new float[] {5, 6}, 2);
        Graph g = Graph.builder("passthrough").input(Value.tensor("x", DType.FLOAT, 2)).initializer("w", w)
                .output(Value.tensor("x", DType.FLOAT, 2)).output(Value.tensor("w", DType.FLOAT, 2)).build();
        try (NativeSession s = session(model(g), OPTIONS); Tensor x = Tensor.of(new float[] {1, 2}, 2);
             RunResult r = s.run(Map.of("x", x))) {
            assertArrayEquals(new float[] {1, 2}, r.get("x").toFloatArray());
            assertArrayEquals(new float[] {5, 6}, r.get("w").toFloatArray());
            assertTrue(r.get("x") != x && r.get("w") != w);
        }
        assertArrayEquals(new float[] {5, 6}, w.toFloatArray(), "closing the result leaves the initializer alone");
        w.close();
    }

    @Test
    void validatesInputs() {
        try (NativeSession s = session(reluChain(1, Shape.of(4)), OPTIONS); Tensor bad = Tensor.of(new float[3], 3)) {
            assertThrows(InvalidInputException.class, () -> s.run(Map.of("x", bad)));
            assertThrows(InvalidInputException.class, () -> s.run(Map.of()));
        }
    }

    @Test
    void dataDependentShapesArePreparedAtRunTime() {
        // p = Positive(x) has a data-dependent length; Relu(p) can only be prepared when it is known.
        Graph g = Graph.builder("dyn").input(Value.tensor("x", DType.FLOAT, 6))
                .node(op("Positive", List.of("x"), List.of("p")))
                .node(op("Relu", List.of("p"), List.of("q")))
                .node(op("Add", List.of("q", "p"), List.of("y")))
                .output(new Value("y", null, "")).build();
        try (NativeSession s = session(model(g), OPTIONS)) {
            assertEquals(2, s.planStats().dynamicSteps());
            for (float[] in : new float[][] {{1, -2, 3, -4, 5, -6}, {1, 2, 3, 4, 5, 6}, {-1, -1, -1, -1, -1, -1}}) {
                List<Float> expect = new ArrayList<>();
                for (float v : in) if (v > 0) expect.add(2 * v);
                try (Tensor x = Tensor.of(in, 6); RunResult r = s.run(Map.of("x", x))) {
                    float[] y = r.get("y").toFloatArray();
                    assertEquals(expect.size(), y.length);
                    for (int i = 0; i < y.length; i++) assertEquals(expect.get(i), y[i]);
                }
            }
        }
    }

    @Test
    void subgraphsReadEnclosingValuesAndArePlannedPerShape() {
        // body(b_in) = Add(b_in, outer) where outer = Relu(x) lives in the enclosing graph.
        Graph body = Graph.builder("body").input(new Value("b_in", null, ""))
                .node(op("Add", List.of("b_in", "outer"), List.of("b_out")))
                .output(new Value("b_out", null, "")).build();
        Shape any = Shape.symbolic(new long[] {-1}, new String[] {"n"});
        Graph g = Graph.builder("main").input(Value.tensor("x", DType.FLOAT, any))
                .node(op("Relu", List.of("x"), List.of("outer")))
                .node(op("CallBody", List.of("x"), List.of("y"), Attribute.of("body", body)))
                .output(new Value("y", null, "")).build();
        try (NativeSession s = session(model(g), OPTIONS)) {
            for (float[] in : new float[][] {{-1, 2}, {3, -4, 5}, {-1, 2}}) {
                try (Tensor x = Tensor.of(in, in.length); RunResult r = s.run(Map.of("x", x))) {
                    float[] y = r.get("y").toFloatArray();
                    for (int i = 0; i < in.length; i++) assertEquals(in[i] + Math.max(0, in[i]), y[i]);
                }
            }
        }
    }

    @Test
    void subgraphOutputsOutliveTheEnclosingArenaBuffersTheyCameFrom() {
        // The body returns the enclosing value 'outer' itself; steps after the call reuse outer's
        // arena buffer, so the call's result must not be a view of it.
        Graph body = Graph.builder("body").input(new Value("b_in", null, "")).output(new Value("outer", null, "")).build();
        Graph g = Graph.builder("main").input(Value.tensor("x", DType.FLOAT, 1024))
                .node(op("Relu", List.of("x"), List.of("outer")))
                .node(op("CallBodyRaw", List.of("x"), List.of("y"), Attribute.of("body", body)))
                .node(op("Scale2", List.of("x"), List.of("a")))
                .node(op("Scale2", List.of("a"), List.of("b")))
                .node(op("Scale2", List.of("b"), List.of("c")))
                .output(new Value("y", null, "")).output(new Value("c", null, "")).build();
        float[] in = floats(1024, 5);
        try (NativeSession s = session(model(g), OPTIONS); Tensor x = Tensor.of(in, 1024); RunResult r = s.run(Map.of("x", x))) {
            float[] y = r.get("y").toFloatArray();
            for (int i = 0; i < in.length; i++) assertEquals(Math.max(0, in[i]), y[i]);
            assertTrue(s.planStats().arenaBytes() < s.planStats().unsharedBytes(), "the arena reuses outer's buffer");
        }
    }

    @Test
    void viewKernelsShareTheirInputBufferAndDoNotRun() {
        // x -> Relu -> r -> View[2,512] -> v -> Relu -> y, and x -> View -> w (x is the caller's: copied)
        Graph g = Graph.builder("views").input(Value.tensor("x", DType.FLOAT, 1024))
                .node(op("Relu", List.of("x"), List.of("r")))
                .node(op("View", List.of("r"), List.of("v"), Attribute.of("shape", new long[] {2, 512})))
                .node(op("Relu", List.of("v"), List.of("y")))
                .node(op("View", List.of("x"), List.of("w"), Attribute.of("shape", new long[] {512, 2})))
                .output(new Value("y", null, "")).output(new Value("v", null, "")).output(new Value("w", null, "")).build();
        TestOps.VIEW_RUNS.set(0);
        float[] in = floats(1024, 9);
        try (NativeSession s = session(model(g), OPTIONS); Tensor x = Tensor.of(in, 1024); RunResult r = s.run(Map.of("x", x))) {
            float[] relu = new float[in.length];
            for (int i = 0; i < in.length; i++) relu[i] = Math.max(0, in[i]);
            assertArrayEquals(relu, r.get("y").toFloatArray());
            assertArrayEquals(relu, r.get("v").toFloatArray());
            assertArrayEquals(new long[] {2, 512}, r.get("v").shape().dims());
            assertArrayEquals(in, r.get("w").toFloatArray());
            assertEquals(1, s.planStats().aliasedNodes());
            assertEquals(3, s.planStats().steps());
            assertEquals(1, TestOps.VIEW_RUNS.get(), "only the view of the caller's tensor ran");
            // r/v share one buffer that lives to the end (v is an output); y and w need their own.
            assertEquals(3 * 4096, s.planStats().arenaBytes());
        }
    }

    @Test
    void inlinesModelLocalFunctions() {
        // AddRelu(a, b) = Relu(Add(a, b)), a model-local function in domain "local".
        Function addRelu = new Function("AddRelu", "local", List.of("a", "b"), List.of("r"), List.of(), List.of(),
                List.of(op("Add", List.of("a", "b"), List.of("t")), op("Relu", List.of("t"), List.of("r"))),
                Map.of(TestOps.DOMAIN, 1L), List.of(), "");
        Graph g = Graph.builder("f").input(Value.tensor("x", DType.FLOAT, 3))
                .node(Node.builder("AddRelu").domain("local").name("call1").inputs("x", "x").outputs("h").build())
                .node(Node.builder("AddRelu").domain("local").name("call2").inputs("h", "x").outputs("y").build())
                .output(new Value("y", null, "")).build();
        Model m = Model.builder().graph(g).opset(17).opset(TestOps.DOMAIN, 1).opset("local", 1).function(addRelu).build();
        try (NativeSession s = session(m, OPTIONS); Tensor x = Tensor.of(new float[] {-1, 1, 2}, 3);
             RunResult r = s.run(Map.of("x", x))) {
            assertArrayEquals(new float[] {0, 3, 6}, r.get("y").toFloatArray());
            assertEquals(4, s.planStats().steps());
        }
    }

    @Test
    void runAllocatesNoHeapPerNode() {
        var threadBean = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long[] perRun = new long[2];
        int[] lengths = {10, 210};
        for (int k = 0; k < 2; k++) {
            try (NativeSession s = session(reluChain(lengths[k], Shape.of(64)), OPTIONS); Tensor x = Tensor.of(floats(64, 2), 64)) {
                Map<String, Tensor> in = Map.of("x", x);
                for (int i = 0; i < 2000; i++) s.run(in).close(); // warm up: JIT, frame pool
                long tid = Thread.currentThread().threadId();
                long before = threadBean.getThreadAllocatedBytes(tid);
                for (int i = 0; i < 1000; i++) s.run(in).close();
                perRun[k] = (threadBean.getThreadAllocatedBytes(tid) - before) / 1000;
            }
        }
        // The per-run cost (input checks, result map, output tensor) is the same for 10 and 210 nodes.
        System.out.println("[executor] heap bytes per run: 10 nodes " + perRun[0] + ", 210 nodes " + perRun[1]);
        assertTrue(perRun[1] - perRun[0] < 200, "bytes per run: 10 nodes " + perRun[0] + ", 210 nodes " + perRun[1]);
    }

    @Test
    void profilesNodesWhenAsked() {
        SessionOptions profiled = SessionOptions.builder().providerOption("profile", "true").build();
        try (NativeSession s = session(reluChain(3, Shape.of(1000)), profiled); Tensor x = Tensor.of(floats(1000, 1), 1000)) {
            for (int i = 0; i < 5; i++) s.run(Map.of("x", x)).close();
            List<NativeSession.NodeProfile> p = s.profile();
            assertEquals(3, p.size());
            for (NativeSession.NodeProfile n : p) {
                assertEquals(5, n.calls());
                assertTrue(n.totalNanos() > 0);
                assertEquals("Relu", n.opType());
            }
        }
        try (NativeSession s = session(reluChain(3, Shape.of(1000)), OPTIONS)) {
            assertTrue(s.profile().isEmpty(), "no profile unless asked");
        }
    }

    @Test
    void runValuesReturnsOwnedValues() {
        try (NativeSession s = session(reluChain(1, Shape.of(2)), OPTIONS); Tensor x = Tensor.of(new float[] {-1, 1}, 2)) {
            Map<String, Object> out = s.runValues(Map.of("x", x));
            Tensor y = (Tensor) out.get("y");
            assertNotNull(y);
            assertArrayEquals(new float[] {0, 1}, y.toFloatArray());
            y.close();
        }
    }
}
