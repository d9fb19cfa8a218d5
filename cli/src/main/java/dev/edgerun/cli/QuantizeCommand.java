package dev.edgerun.cli;

import dev.edgerun.quant.CalibrationMethod;
import dev.edgerun.quant.Guardrail;
import dev.edgerun.quant.QuantMode;
import dev.edgerun.quant.QuantOptions;
import dev.edgerun.quant.QuantReport;
import dev.edgerun.quant.QuantizeJob;
import dev.edgerun.quant.Quantizer;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.io.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code edgerun quantize MODEL -o OUT.onnx --mode dynamic|static|fp16|weight-only}: writes the
 * quantized model and prints what it cost (size, agreement, accuracy, error per layer, latency).
 * Exit status 1 when a guardrail budget could not be met (the best model found is still written).
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Quantize a model to int8 (dynamic or static with calibration), fp16 or weight-only int8, "
                + "and report size, agreement and accuracy against the float model.")
final class QuantizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "the float model (.onnx or any importable format)")
    Path model;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.onnx", required = true, description = "the quantized ONNX file to write")
    Path output;

    @Option(names = "--mode", paramLabel = "MODE", required = true,
            description = "dynamic, static, fp16 or weight-only")
    String mode;

    @Option(names = "--calibration", paramLabel = "DIR", description = "calibration data folder (static mode)")
    Path calibration;

    @Option(names = "--method", paramLabel = "METHOD", defaultValue = "minmax",
            description = "calibration: minmax, percentile or entropy (default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--percentile", paramLabel = "P", defaultValue = "99.999",
            description = "percentile of |x| kept by --method percentile (default: ${DEFAULT-VALUE})")
    double percentile;

    @ArgGroup(exclusive = true)
    Granularity granularity;

    static final class Granularity {
        @Option(names = "--per-channel", description = "one weight scale per output channel (the default)")
        boolean perChannel;

        @Option(names = "--per-tensor", description = "one weight scale per tensor")
        boolean perTensor;
    }

    @Option(names = "--activations", paramLabel = "TYPE", defaultValue = "uint8",
            description = "static activations: uint8 or int8 (default: ${DEFAULT-VALUE})")
    String activations;

    @Option(names = "--reduce-range", description = "7-bit weights, for kernels that accumulate in int16")
    boolean reduceRange;

    @Option(names = "--exclude", paramLabel = "NODE|OP", split = ",",
            description = "node names or operator types to keep in float")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--eval", paramLabel = "DIR", description = "evaluation data folder for the accuracy report and the guardrail")
    Path eval;

    @Option(names = "--labels", paramLabel = "FILE", description = "labels (.npy) for --eval, when the folder has none")
    Path labels;

    @Option(names = "--max-accuracy-drop", paramLabel = "X",
            description = "keep layers in float until top-1 accuracy drops by at most X (a fraction: 0.002 = 0.2 points)")
    Double maxAccuracyDrop;

    @Option(names = "--min-agreement", paramLabel = "X",
            description = "keep layers in float until top-1 agreement with the float model is at least X (0..1)")
    Double minAgreement;

    @Option(names = "--engine", paramLabel = "ENGINE", split = ",",
            description = "engines the quantized model must run on (default: every available one of native, onnxruntime)")
    List<String> engines = new ArrayList<>();

    @Option(names = "--latency-runs", paramLabel = "N", defaultValue = "20",
            description = "timed runs per engine for the latency report; 0 skips it (default: ${DEFAULT-VALUE})")
    int latencyRuns;

    @Option(names = "--json", description = "print one JSON document on standard output instead of text")
    boolean json;

    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() {
        QuantReport report = new QuantizeJob(model, output, options(), calibration, eval, labels, budget(), latencyRuns).run();
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? Json.write(report.toJson()) + "\n" : report.toText());
        out.flush();
        return report.guardrail() != null && !report.guardrail().met() ? Main.CHECK_FAILED : Main.OK;
    }

    private QuantOptions options() {
        if (latencyRuns < 0) throw new IllegalArgumentException("--latency-runs must be >= 0, got " + latencyRuns);
        Set<String> excluded = new LinkedHashSet<>(exclude);
        QuantOptions.Builder b = QuantOptions.builder(QuantMode.parse(mode))
                .method(CalibrationMethod.parse(method))
                .percentile(percentile)
                .perChannel(granularity == null || !granularity.perTensor)
                .activationType(activationType())
                .reduceRange(reduceRange)
                .excludeNodes(excluded)
                .excludeOps(excluded);
        if (!engines.isEmpty()) {
            List<String> available = Quantizer.availableEngines();
            for (String e : engines) {
                if (!available.contains(e)) {
                    throw new IllegalArgumentException("--engine " + e + " is not available here; available: " + available);
                }
            }
            b.engines(engines);
        }
        return b.build();
    }

    private DType activationType() {
        return switch (activations) {
            case "uint8" -> DType.UINT8;
            case "int8" -> DType.INT8;
            default -> throw new IllegalArgumentException("--activations must be uint8 or int8, got " + activations);
        };
    }

    private Guardrail.Budget budget() {
        if (maxAccuracyDrop == null && minAgreement == null) return null;
        if (eval == null) throw new IllegalArgumentException("--max-accuracy-drop and --min-agreement need --eval DIR");
        return new Guardrail.Budget(maxAccuracyDrop == null ? Double.NaN : maxAccuracyDrop,
                minAgreement == null ? Double.NaN : minAgreement);
    }
}
