package dev.edgerun.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every mode on a CNN built in code: what is emitted, and that both engines run it and agree. */
class QuantizerTest {
    private static final List<Tensor> OWNED = new ArrayList<>();
    private static Model model;
    private static DataFolder data;

    @BeforeAll
    static void setUp(@TempDir Path dir) {
        model = TestModels.cnn(OWNED);
        data = DataFolder.read(TestModels.cnnData(dir.resolve("calib"), 48, 1), model.graph().requiredInputs());
    }

    @AfterAll
    static void tearDown() {
        data.close();
        OWNED.forEach(Tensor::close);
    }

    private static Map<String, Tensor> batch() {
        return data.slice(0, 16);
    }

    @Test
    void dynamicEmitsIntegerOperatorsWithWeightTypesEachTargetAccepts() {
        TestModels.assumeOnnxRuntime();
        try (Quantizer.Result q = Quantizer.quantize(model, QuantOptions.builder(QuantMode.DYNAMIC).build(), null)) {
            List<String> ops = TestModels.opTypes(q.model());
            assertTrue(ops.containsAll(List.of("DynamicQuantizeLinear", "MatMulInteger", "ConvInteger")), ops.toString());
            assertFalse(ops.contains("Conv") || ops.contains("MatMul") || ops.contains("Gemm"), ops.toString());
            // ONNX Runtime's ConvInteger takes uint8 weights only; MatMulInteger takes int8.
            Node conv = TestModels.node(q.model(), "ConvInteger");
            assertEquals(DType.UINT8, q.model().graph().initializers().get(conv.inputs().get(1)).dtype());
            Node mm = TestModels.node(q.model(), "MatMulInteger");
            assertEquals(DType.INT8, q.model().graph().initializers().get(mm.inputs().get(1)).dtype());
            assertEquals(List.of("conv", "fc1", "fc2"), q.quantizedNodes());
            assertAllFloatWeightsGone(q.model(), "conv_w", "fc1_w", "fc2_w");
            assertClose(q.model(), 0.05);
            TestModels.assertEnginesAgree(q.model(), batch(), 255);
        }
    }

    @Test
    void dynamicForTheNativeEngineAloneKeepsInt8ConvWeights() {
        QuantOptions o = QuantOptions.builder(QuantMode.DYNAMIC).engines(List.of("native")).build();
        try (Quantizer.Result q = Quantizer.quantize(model, o, null)) {
            Node conv = TestModels.node(q.model(), "ConvInteger");
            assertEquals(DType.INT8, q.model().graph().initializers().get(conv.inputs().get(1)).dtype());
            assertClose(q.model(), 0.05);
        }
    }

    @Test
    void onnxRuntimeTableRefusesInt8ConvIntegerAndUnknownEnginesAreNamed() {
        TargetOps ort = new TargetOps(List.of("onnxruntime"), 17);
        assertFalse(ort.supports("ConvInteger", DType.INT8));
        assertEquals(DType.UINT8, ort.convIntegerWeightType());
        assertFalse(ort.supports("QLinearAdd"));
        assertTrue(new TargetOps(List.of("native"), 17).supports("MatMulInteger", DType.INT8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TargetOps(List.of("tpu"), 17).supports("Conv"));
        assertTrue(e.getMessage().contains("tpu"), e.getMessage());
    }

    @Test
    void staticQdqKeepsFloatBoundaryAndRunsOnBothEnginesWithinOneStep() {
        TestModels.assumeOnnxRuntime();
        for (CalibrationMethod m : CalibrationMethod.values()) {
            QuantOptions o = QuantOptions.builder(QuantMode.STATIC).method(m).build();
            try (Quantizer.Result q = Quantizer.quantize(model, o, data)) {
                Model qm = q.model();
                assertEquals(DType.FLOAT, qm.graph().inputs().get(0).dtype());
                assertEquals("logits", qm.graph().outputs().get(0).name());
                List<String> ops = TestModels.opTypes(qm);
                assertTrue(ops.contains("QuantizeLinear") && ops.contains("DequantizeLinear"), ops.toString());
                assertAllFloatWeightsGone(qm, "conv_w", "fc1_w", "fc2_w");
                Node conv = TestModels.node(qm, "Conv");
                // the conv reads its input and weight through DequantizeLinear, its bias as int32
                assertTrue(conv.inputs().get(0).endsWith("_dq"), conv.toString());
                assertEquals(List.of("conv", "relu1", "gap", "flatten", "fc1", "fc1_bias", "relu2", "fc2"), q.quantizedNodes());
                // a Relu that alone reads a Conv's or an Add's output reads it unquantized: one rounding, one fused node
                assertEquals(List.of("c", "hb"), qm.graph().nodes().stream().filter(n -> n.opType().equals("Relu"))
                        .map(n -> n.inputs().get(0)).toList());
                assertClose(qm, 0.05);
                TestModels.assertEnginesAgree(qm, batch(), 255);
                assertEquals(qm.graph().outputs(), model.graph().outputs());
                // standard ONNX: written and read back unchanged
                try (Model back = OnnxModels.read(OnnxModels.write(qm))) {
                    assertEquals(qm.graph().nodes().size(), back.graph().nodes().size());
                }
            }
        }
    }

    @Test
    void staticOptionsInt8ActivationsReduceRangePerTensorAndExclusions() {
        TestModels.assumeOnnxRuntime();
        QuantOptions o = QuantOptions.builder(QuantMode.STATIC).activationType(DType.INT8).reduceRange(true)
                .perChannel(false).excludeNodes(Set.of("fc2")).excludeOps(Set.of("GlobalAveragePool")).build();
        try (Quantizer.Result q = Quantizer.quantize(model, o, data)) {
            Model qm = q.model();
            assertFalse(q.quantizedNodes().contains("fc2"));
            assertFalse(q.quantizedNodes().contains("gap"));
            assertTrue(q.keptFloat().contains("fc2"));
            // fc2 keeps its float weight; the others are int8 with one scale, within [-64, 63]
            assertEquals(DType.FLOAT, qm.graph().initializers().get("fc2_w").dtype());
            Node dq = qm.graph().nodes().stream().filter(n -> n.opType().equals("DequantizeLinear")
                    && n.inputs().get(0).startsWith("conv_w")).findFirst().orElseThrow();
            Tensor w = qm.graph().initializers().get(dq.inputs().get(0));
            assertEquals(DType.INT8, w.dtype());
            assertEquals(0, qm.graph().initializers().get(dq.inputs().get(1)).shape().rank());
            for (byte b : w.toByteArray()) assertTrue(b >= -64 && b <= 63, "reduce_range weight " + b);
            Node q0 = TestModels.node(qm, "QuantizeLinear");
            assertEquals(DType.INT8, qm.graph().initializers().get(q0.inputs().get(2)).dtype());
            assertClose(qm, 0.08);
            TestModels.assertEnginesAgree(qm, batch(), 255);
        }
    }

    @Test
    void staticWithoutCalibrationDataIsRefused() {
        QuantizationException e = assertThrows(QuantizationException.class,
                () -> Quantizer.quantize(model, QuantOptions.builder(QuantMode.STATIC).build(), null));
        assertTrue(e.getMessage().contains("calibration"), e.getMessage());
    }

    @Test
    void fp16KeepsFloatBoundaryAndCastsAroundNodesKeptInFloat() {
        TestModels.assumeOnnxRuntime();
        QuantOptions o = QuantOptions.builder(QuantMode.FP16).excludeOps(Set.of("Conv")).build();
        try (Quantizer.Result q = Quantizer.quantize(model, o, null)) {
            Model qm = q.model();
            assertEquals(DType.FLOAT, qm.graph().inputs().get(0).dtype());
            assertEquals(DType.FLOAT, qm.graph().outputs().get(0).dtype());
            assertEquals("logits", qm.graph().outputs().get(0).name());
            assertTrue(q.keptFloat().contains("conv"), q.keptFloat().toString());
            assertTrue(q.quantizedNodes().contains("relu1"), q.quantizedNodes().toString());
            // the float conv output is cast to float16 for the float16 Relu after it
            Node relu = qm.graph().nodes().stream().filter(n -> n.name().equals("relu1")).findFirst().orElseThrow();
            Node cast = qm.graph().nodes().stream().filter(n -> n.outputs().contains(relu.inputs().get(0))).findFirst().orElseThrow();
            assertEquals("Cast", cast.opType());
            assertEquals(DType.FLOAT16.onnxCode(), cast.attribute("to").asInt());
            assertEquals(DType.FLOAT16, qm.graph().initializers().get("fc1_b").dtype()); // read by a float16 Add
            assertClose(qm, 0.01);
            TestModels.assertEnginesAgree(qm, batch(), 1024);
        }
    }

    @Test
    void fp16ConvertsOnlyWhatEveryTargetRunsInHalf() {
        TestModels.assumeOnnxRuntime();
        try (Quantizer.Result q = Quantizer.quantize(model, QuantOptions.builder(QuantMode.FP16).build(), null)) {
            // each node was compiled alone in float16 on both engines before being converted: the whole model runs on both
            assertTrue(q.quantizedNodes().size() + q.keptFloat().size() >= 8, q.quantizedNodes() + " " + q.keptFloat());
            assertClose(q.model(), 0.01);
            TestModels.assertEnginesAgree(q.model(), batch(), 1024);
        }
    }

    @Test
    void fp16ForOnnxRuntimeAloneConvertsConv() {
        TestModels.assumeOnnxRuntime();
        QuantOptions o = QuantOptions.builder(QuantMode.FP16).engines(List.of("onnxruntime")).build();
        try (Quantizer.Result q = Quantizer.quantize(model, o, null)) {
            assertTrue(q.quantizedNodes().contains("conv"), q.quantizedNodes().toString());
            assertEquals(DType.FLOAT16, q.model().graph().initializers().get("conv_w").dtype());
            float[] ref = TestModels.run(model, "onnxruntime", batch());
            float[] got = TestModels.run(q.model(), "onnxruntime", batch());
            assertTrue(Comparison.cosine(ref, got, 0, ref.length) > 0.9999);
        }
    }

    @Test
    void weightOnlyStoresInt8WeightsForMatMulAndGemmOnly() {
        TestModels.assumeOnnxRuntime();
        try (Quantizer.Result q = Quantizer.quantize(model, QuantOptions.builder(QuantMode.WEIGHT_ONLY).build(), null)) {
            Model qm = q.model();
            assertEquals(List.of("fc1", "fc2"), q.quantizedNodes());
            assertEquals(DType.FLOAT, qm.graph().initializers().get("conv_w").dtype());
            assertAllFloatWeightsGone(qm, "fc1_w", "fc2_w");
            Node mm = TestModels.node(qm, "MatMul");
            assertTrue(mm.inputs().get(1).endsWith("_dq"), mm.toString());
            assertClose(qm, 0.02);
            TestModels.assertEnginesAgree(qm, batch(), 255);
        }
    }

    @Test
    void perChannelWeightErrorIsAtMostHalfAStep() {
        try (Tensor w = TestModels.random(new java.util.Random(3), 1f, 6, 5, 3, 3)) {
            WeightQuant.Result r = WeightQuant.quantize(w, 0, DType.INT8, false);
            try (Tensor q = r.q()) {
                float[] back = WeightQuant.dequantize(r);
                float[] v = w.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    float scale = r.scales()[i / 45];
                    assertTrue(Math.abs(back[i] - v[i]) <= scale / 2 + 1e-6, "element " + i);
                }
            }
        }
    }

    /** The quantized model's logits stay close to the float model's (cosine per whole batch). */
    private static void assertClose(Model quantized, double maxCosineLoss) {
        float[] ref = TestModels.run(model, "native", batch());
        float[] got = TestModels.run(quantized, "native", batch());
        double c = Comparison.cosine(ref, got, 0, ref.length);
        assertTrue(c >= 1 - maxCosineLoss, "cosine " + c);
    }

    private static void assertAllFloatWeightsGone(Model m, String... weights) {
        for (String w : weights) assertFalse(m.graph().initializers().containsKey(w), w + " still stored in float");
    }
}
