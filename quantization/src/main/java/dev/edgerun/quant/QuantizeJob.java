package dev.edgerun.quant;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The whole of {@code edgerun quantize}: load, quantize (under a guardrail when a budget is given),
 * write the ONNX file, and measure the report.
 *
 * @param calibration data folder for static mode (null otherwise)
 * @param eval        data folder for the accuracy report and the guardrail (null: sizes and latency only)
 * @param labels      labels file overriding the evaluation folder's (null: the folder's own)
 * @param budget      guardrail budget (null: none)
 * @param latencyRuns timed runs per engine and model (0: no latency)
 */
public record QuantizeJob(Path model, Path output, QuantOptions options, Path calibration, Path eval, Path labels,
                          Guardrail.Budget budget, int latencyRuns) {

    /** Samples the per-layer error report looks at. */
    static final int LAYER_SAMPLES = 64;

    public QuantReport run() {
        if (output.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("refusing to overwrite the input " + model + "; choose another -o");
        }
        if (budget != null && eval == null) throw new QuantizationException("a guardrail budget needs an evaluation folder (--eval DIR)");
        if (options.mode() == QuantMode.STATIC && calibration == null) {
            throw new QuantizationException("static quantization needs calibration data (--calibration DIR)");
        }
        try (Model m = Edgerun.load(model);
             DataFolder cal = calibration == null ? null : DataFolder.read(calibration, m.graph().requiredInputs());
             DataFolder evalFolder = eval == null ? null : DataFolder.read(eval, m.graph().requiredInputs())) {
            DataFolder ev = evalFolder == null || labels == null ? evalFolder : evalFolder.withLabels(DataFolder.readLabels(labels));
            // Without calibration data (modes other than static) the evaluation folder's first sample
            // serves to learn the tensor types.
            Quantizer.Prepared prepared = new Quantizer.Prepared(m, cal != null ? cal : ev);
            Guardrail.Outcome outcome = null;
            Comparison.Result cmp = null;
            Quantizer.Result q;
            if (budget != null) {
                Guardrail.Guarded g = Guardrail.apply(prepared, m, options, ev, budget);
                q = g.result();
                cmp = g.comparison();
                outcome = g.outcome();
            } else {
                q = prepared.quantize(options);
            }
            try (q) {
                write(q.model());
                if (cmp == null && ev != null) cmp = Comparison.compare(m, q.model(), ev);
                List<LayerErrors.LayerError> layers = ev == null ? List.of()
                        : LayerErrors.measure(m, q.model(), q.quantizedNodes(), ev, LAYER_SAMPLES);
                List<Latency.EngineLatency> latency = latencyRuns <= 0 ? List.of() : latency(m, q.model(), ev != null ? ev : cal);
                return new QuantReport(options, output.toString(), floatSize(m), Files.size(output), q.quantizedNodes(),
                        q.keptFloat(), cmp, layers, latency, outcome);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(output + ": " + e.getMessage(), e);
        }
    }

    private void write(Model quantized) throws IOException {
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        OnnxModels.write(quantized, output);
    }

    private long floatSize(Model m) throws IOException {
        if (model.getFileName().toString().endsWith(".onnx")) return Files.size(model);
        return OnnxModels.write(m).length;
    }

    private List<Latency.EngineLatency> latency(Model m, Model q, DataFolder data) {
        int batch = Observer.batchSize(m.graph().requiredInputs(), 1);
        if (data != null) return Latency.measure(m, q, data.slice(0, Math.min(batch, data.size())), options.engines(), latencyRuns);
        Map<String, Tensor> sample = Observer.syntheticSample(m.graph().requiredInputs());
        try {
            return Latency.measure(m, q, sample, options.engines(), latencyRuns);
        } finally {
            sample.values().forEach(Tensor::close);
        }
    }
}
