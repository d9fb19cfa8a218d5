package dev.edgerun.quant;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Quantizes a model (IR to IR): dynamic or static int8, fp16 or weight-only int8.
 *
 * <pre>{@code
 * try (Model model = OnnxModels.read(Path.of("model.onnx"));
 *      DataFolder calibration = DataFolder.read(Path.of("calib"), model.graph().requiredInputs());
 *      Quantizer.Result q = Quantizer.quantize(model, QuantOptions.builder(QuantMode.STATIC).build(), calibration)) {
 *     OnnxModels.write(q.model(), Path.of("model.int8.onnx"));
 * }
 * }</pre>
 *
 * The result shares the original's untouched initializers: keep the original open while it is used.
 */
public final class Quantizer {
    /** Samples per calibration run when the model's batch axis is free. */
    static final int CALIBRATION_BATCH = 64;

    private Quantizer() {}

    /**
     * The quantized model and what was done.
     *
     * @param quantizedNodes nodes rewritten (int8) or converted (fp16)
     * @param keptFloat      nodes of a quantizable type left in float (excluded, or unsupported on a target)
     * @param activations    tensors quantized with a calibrated range (static mode)
     */
    public record Result(Model model, QuantOptions options, List<String> quantizedNodes, List<String> keptFloat,
                         List<String> activations) implements AutoCloseable {
        @Override
        public void close() {
            model.close();
        }
    }

    /** The engines among native and onnxruntime that are on the class path and can run here. */
    public static List<String> availableEngines() {
        List<String> r = new ArrayList<>();
        for (String name : QuantOptions.ALL_ENGINES) {
            for (Engine e : Edgerun.engines()) if (e.name().equals(name) && e.availability().available()) r.add(name);
        }
        return r;
    }

    /** A node's identity in options and reports: its name, or a label when it has none. */
    public static String key(Node n) {
        return n.name().isEmpty() ? n.label() : n.name();
    }

    /**
     * Quantizes {@code model}. {@code calibration} is required for static mode and optional
     * otherwise (its first sample then only serves to learn tensor types; a synthetic one is used
     * without it).
     */
    public static Result quantize(Model model, QuantOptions options, DataFolder calibration) {
        return new Prepared(model, calibration).quantize(options);
    }

    /**
     * A model with its observed tensor types and the calibrated ranges found so far, so that
     * repeated quantizations (the guardrail's) calibrate each tensor once per method.
     */
    static final class Prepared {
        private final Model model;
        private final DataFolder calibration;
        private final Map<String, Observer.TensorInfo> census;
        private final Map<String, Calibrator.Range> ranges = new java.util.HashMap<>();
        private CalibrationMethod rangesMethod;

        Prepared(Model model, DataFolder calibration) {
            this.model = model;
            this.calibration = calibration;
            this.census = Quantizer.census(model, calibration);
        }

        Map<String, Observer.TensorInfo> census() {
            return census;
        }

        Result quantize(QuantOptions options) {
            TargetOps target = new TargetOps(options.engines(), Math.max(model.onnxOpset(), 13));
            return switch (options.mode()) {
                case DYNAMIC -> {
                    DynamicQuantizer q = new DynamicQuantizer(options, target, census);
                    List<Node> nodes = q.candidates(model);
                    yield new Result(q.quantize(model), options, keys(nodes), keptFloat(model, nodes, options), List.of());
                }
                case WEIGHT_ONLY -> {
                    WeightOnlyQuantizer q = new WeightOnlyQuantizer(options);
                    List<Node> nodes = q.candidates(model);
                    yield new Result(q.quantize(model), options, keys(nodes), keptFloat(model, nodes, options), List.of());
                }
                case FP16 -> {
                    Fp16Converter c = new Fp16Converter(options, census);
                    Model m = c.convert(model);
                    List<String> converted = new ArrayList<>(keys(c.candidates(model)));
                    converted.removeAll(c.keptFloat());
                    yield new Result(m, options, converted, List.copyOf(c.keptFloat()), List.of());
                }
                case STATIC -> {
                    StaticQuantizer q = new StaticQuantizer(options, census);
                    List<String> activations = List.copyOf(q.activations(model));
                    List<Node> nodes = q.candidates(model);
                    yield new Result(q.quantize(model, ranges(options, activations)), options, keys(nodes),
                            keptFloat(model, nodes, options), activations);
                }
            };
        }

        private Map<String, Calibrator.Range> ranges(QuantOptions options, List<String> activations) {
            if (calibration == null) {
                throw new QuantizationException("static quantization needs calibration data (--calibration DIR)");
            }
            if (rangesMethod != options.method()) ranges.clear();
            rangesMethod = options.method();
            List<String> missing = activations.stream().filter(a -> !ranges.containsKey(a)).toList();
            if (!missing.isEmpty()) {
                int batch = Observer.batchSize(model.graph().requiredInputs(), CALIBRATION_BATCH);
                ranges.putAll(new Calibrator(options.method(), options.percentile()).calibrate(model, missing, calibration.batches(batch)));
            }
            return ranges;
        }
    }

    private static Map<String, Observer.TensorInfo> census(Model model, DataFolder data) {
        if (data != null && data.size() > 0) {
            int batch = Observer.batchSize(model.graph().requiredInputs(), 1);
            return Observer.census(model, data.slice(0, Math.min(batch, data.size())));
        }
        Map<String, Tensor> sample = Observer.syntheticSample(model.graph().requiredInputs());
        try {
            return Observer.census(model, sample);
        } finally {
            sample.values().forEach(Tensor::close);
        }
    }

    private static List<String> keys(List<Node> nodes) {
        return nodes.stream().map(Quantizer::key).toList();
    }

    /** Nodes with weights (Conv, MatMul, Gemm) that were not quantized, and every node excluded by name. */
    private static List<String> keptFloat(Model model, List<Node> quantized, QuantOptions options) {
        List<String> done = keys(quantized);
        List<String> r = new ArrayList<>();
        for (Node n : model.graph().nodes()) {
            boolean weighted = n.opType().equals("Conv") || n.opType().equals("MatMul") || n.opType().equals("Gemm");
            boolean named = options.excludeNodes().contains(key(n));
            if ((weighted || named) && !done.contains(key(n))) r.add(key(n));
        }
        return r;
    }
}
