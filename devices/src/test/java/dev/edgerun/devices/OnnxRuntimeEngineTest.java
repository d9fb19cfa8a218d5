package dev.edgerun.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.EngineUnavailableException;
import dev.edgerun.runtime.InvalidInputException;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The ONNX Runtime engine on models built in code: dtypes, zero-copy inputs, errors, devices, threads. */
class OnnxRuntimeEngineTest {
    private static final SessionOptions ORT = SessionOptions.builder().engine("onnxruntime").threads(1).build();

    /** y = Identity(x) over {@code shape}. */
    private static Model identity(DType dtype, Shape shape) {
        Graph g = Graph.builder("identity")
                .input(Value.tensor("x", dtype, shape))
                .output(Value.tensor("y", dtype, shape))
                .node("Identity", List.of("x"), List.of("y"))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }

    /** sum = a + b, float[2, 3]. */
    private static Model add() {
        Graph g = Graph.builder("add")
                .input(Value.tensor("a", DType.FLOAT, 2, 3))
                .input(Value.tensor("b", DType.FLOAT, 2, 3))
                .output(Value.tensor("sum", DType.FLOAT, 2, 3))
                .node("Add", List.of("a", "b"), List.of("sum"))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }

    @Test
    void isFoundThroughServiceLoaderAndAvailable() {
        Engine e = Edgerun.engine("onnxruntime");
        assertInstanceOf(OnnxRuntimeEngine.class, e);
        Engine.Availability a = e.availability();
        assertTrue(a.available(), a.detail());
        assertTrue(a.detail().contains("1.23.2"), a.detail());
        assertTrue(OnnxRuntimeEngine.availableProviders().contains("CPUExecutionProvider"),
                OnnxRuntimeEngine.availableProviders().toString());
    }

    @Test
    void runsAModelBuiltInCode() {
        try (Model m = add();
             Session s = Edgerun.session(m, ORT);
             Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
             Tensor b = Tensor.of(new float[] {10, 20, 30, 40, 50, 60}, 2, 3);
             RunResult r = s.run(Map.of("a", a, "b", b))) {
            assertEquals("onnxruntime", s.engineName());
            assertTrue(s.description().contains("cpu"), s.description());
            assertEquals(List.of("sum"), r.names());
            assertArrayEquals(new float[] {11, 22, 33, 44, 55, 66}, r.get("sum").toFloatArray());
        }
    }

    @Test
    void aDetachedOutputOutlivesItsResult() {
        Tensor kept;
        try (Model m = add();
             Session s = Edgerun.session(m, ORT);
             Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
             Tensor b = Tensor.of(new float[6], 2, 3);
             RunResult r = s.run(Map.of("a", a, "b", b))) {
            kept = r.detach("sum");
        }
        try (kept) {
            assertTrue(kept.ownsMemory());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, kept.toFloatArray());
        }
    }

    /** Every dtype ONNX Runtime's Java API can create goes in and comes back unchanged, static and symbolic shapes. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT", "DOUBLE", "INT64", "INT32", "INT16", "INT8", "UINT8", "BOOL",
            "FLOAT16", "BFLOAT16"})
    void everyCreatableDtypeRoundTrips(DType dtype) {
        byte[] bytes = new byte[(int) dtype.storageBytes(6)];
        for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) (dtype == DType.BOOL ? i % 2 : 17 * i + 3);
        Shape symbolic = Shape.symbolic(new long[] {-1, 3}, new String[] {"batch", null});
        for (Shape declared : List.of(Shape.of(2, 3), symbolic)) {
            try (Model m = identity(dtype, declared);
                 Session s = Edgerun.session(m, ORT);
                 Tensor x = Tensor.fromBytes(dtype, Shape.of(2, 3), bytes);
                 RunResult r = s.run(Map.of("x", x))) {
                Tensor y = r.get("y");
                assertEquals(dtype, y.dtype());
                assertEquals(Shape.of(2, 3), y.shape());
                assertArrayEquals(bytes, y.toByteArray(), dtype + " " + declared);
            }
        }
    }

    @Test
    void stringsRoundTrip() {
        try (Model m = identity(DType.STRING, Shape.of(3));
             Session s = Edgerun.session(m, ORT);
             Tensor x = Tensor.ofStrings(new String[] {"edge", "", "run ü"}, 3);
             RunResult r = s.run(Map.of("x", x))) {
            assertArrayEquals(new String[] {"edge", "", "run ü"}, r.get("y").toStringArray());
        }
    }

    @Test
    void offHeapInputsAreHandedOverWithoutCopying() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
             OnnxTensor ort = OrtTensors.toOrt(env, "x", x)) {
            assertFalse(ort.ownsBuffer(), "ONNX Runtime copied an off-heap tensor");
            assertTrue(ort.getBufferRef().orElseThrow().isDirect());
            x.setFloat(1, 42f); // same memory: ONNX Runtime sees the change
            assertEquals(42f, ort.getFloatBuffer().get(1));
        }
    }

    @Test
    void borrowedDirectBuffersAreNotCopiedEither() throws Exception {
        ByteBuffer direct = ByteBuffer.allocateDirect(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        direct.putFloat(0, 1.5f).putFloat(4, -2f);
        try (Tensor x = Tensor.fromByteBuffer(DType.FLOAT, Shape.of(2), direct);
             OnnxTensor ort = OrtTensors.toOrt(OrtEnvironment.getEnvironment(), "x", x)) {
            assertFalse(x.ownsMemory());
            assertFalse(ort.ownsBuffer());
        }
    }

    @Test
    void wrongDtypeIsATypedErrorNamingTheInput() {
        try (Model m = add(); Session s = Edgerun.session(m, ORT);
             Tensor a = Tensor.of(new double[6], 2, 3); Tensor b = Tensor.of(new float[6], 2, 3)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.run(Map.of("a", a, "b", b)));
            assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("float")
                    && e.getMessage().contains("double"), e.getMessage());
        }
    }

    @Test
    void wrongShapeIsATypedErrorWithExpectedAndGiven() {
        try (Model m = add(); Session s = Edgerun.session(m, ORT);
             Tensor a = Tensor.of(new float[6], 3, 2); Tensor b = Tensor.of(new float[6], 2, 3)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.run(Map.of("a", a, "b", b)));
            assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[3, 2]"), e.getMessage());
        }
    }

    @Test
    void unknownInputNameListsTheExpectedNames() {
        try (Model m = add(); Session s = Edgerun.session(m, ORT);
             Tensor a = Tensor.of(new float[6], 2, 3); Tensor b = Tensor.of(new float[6], 2, 3)) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> s.run(Map.of("a", a, "bee", b)));
            assertTrue(e.getMessage().contains("'bee'") && e.getMessage().contains("[a, b]"), e.getMessage());
        }
    }

    @Test
    void missingInputIsNamed() {
        try (Model m = add(); Session s = Edgerun.session(m, ORT); Tensor a = Tensor.of(new float[6], 2, 3)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.run(Map.of("a", a)));
            assertTrue(e.getMessage().contains("missing input 'b'"), e.getMessage());
        }
    }

    @Test
    void unsignedInputsOrtCannotCreateAreRefusedWithTheReason() {
        try (Model m = identity(DType.UINT32, Shape.of(2)); Session s = Edgerun.session(m, ORT);
             Tensor x = Tensor.fromBytes(DType.UINT32, Shape.of(2), new byte[8])) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.run(Map.of("x", x)));
            assertTrue(e.getMessage().contains("uint32") && e.getMessage().contains("cannot create"), e.getMessage());
        }
    }

    @Test
    void aDeviceOtherThanCpuIsUnavailableInThisBuild() {
        try (Model m = add()) {
            SessionOptions cuda = SessionOptions.builder().engine("onnxruntime").devices("cuda").build();
            EngineUnavailableException e = assertThrows(EngineUnavailableException.class, () -> Edgerun.session(m, cuda));
            assertTrue(e.getMessage().contains("'cuda'") && e.getMessage().contains("not available in this build"),
                    e.getMessage());
            SessionOptions cudaThenCpu = SessionOptions.builder().engine("onnxruntime").devices("cuda", "cpu").build();
            try (Session s = Edgerun.session(m, cudaThenCpu)) {
                assertTrue(s.description().contains("cpu"), s.description());
            }
        }
    }

    @Test
    void anOperatorOrtLacksIsReportedWithTheModel() {
        Graph g = Graph.builder("bogus")
                .input(Value.tensor("x", DType.FLOAT, 2))
                .output(Value.tensor("y", DType.FLOAT, 2))
                .node("NoSuchOperator", List.of("x"), List.of("y"))
                .build();
        try (Model m = Model.builder().graph(g).opset(17).build()) {
            EdgerunException e = assertThrows(EdgerunException.class, () -> Edgerun.session(m, ORT));
            assertTrue(e.getMessage().contains("model 'bogus'") && e.getMessage().contains("NoSuchOperator"),
                    e.getMessage());
        }
    }

    @Test
    void aClosedSessionRefusesToRun() {
        try (Model m = add(); Tensor a = Tensor.of(new float[6], 2, 3); Tensor b = Tensor.of(new float[6], 2, 3)) {
            Session s = Edgerun.session(m, ORT);
            s.close();
            s.close(); // idempotent
            assertThrows(IllegalStateException.class, () -> s.run(Map.of("a", a, "b", b)));
        }
    }

    @Test
    void concurrentRunsOfOneSessionGiveTheSameResults() throws Exception {
        SessionOptions two = SessionOptions.builder().engine("onnxruntime").threads(2).build();
        try (Model m = add(); Session s = Edgerun.session(m, two)) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[]>> futures = new ArrayList<>();
                for (int t = 0; t < 64; t++) {
                    float k = t;
                    futures.add(pool.submit(() -> {
                        try (Tensor a = Tensor.of(new float[] {k, k, k, k, k, k}, 2, 3);
                             Tensor b = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
                             RunResult r = s.run(Map.of("a", a, "b", b))) {
                            return r.get(0).toFloatArray();
                        }
                    }));
                }
                for (int t = 0; t < futures.size(); t++) {
                    assertArrayEquals(new float[] {t + 1, t + 2, t + 3, t + 4, t + 5, t + 6}, futures.get(t).get());
                }
            } finally {
                pool.shutdown();
            }
        }
    }
}
