package dev.edgerun.cli;

import dev.edgerun.finetune.Exporter;
import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.ops.OperatorRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code edgerun startup-training} (hidden): the workload the {@code edgerun} launcher runs once per
 * build with {@code -XX:ArchiveClassesAtExit}, so that the class-data sharing archive it then uses
 * holds the classes every command loads on its way to a first result: ONNX import, both engines'
 * compile and first run, and {@code bench} itself. It benchmarks the models of
 * {@link StartupTrainingModels} (operators the demo lacks: LSTM, attention, Resize...) with
 * {@code bench --compare} (the native engine alone where ONNX Runtime cannot load), printing
 * nothing: a failure there leaves the archive without their classes but still written, so it does
 * not change the exit status. Then, the same way, the demo's small CNN (untrained, written to a
 * temporary file); the exit status is that bench's. First of all it makes every operator of
 * {@link OperatorRegistry}: the registry loads an operator's class only when a model first uses it,
 * so without this the archive would hold only the operators of these models (a class the archive
 * lacks is read from the jar and verified, about 0.5 ms each on the 2-vCPU build machine).
 */
@Command(name = "startup-training", hidden = true,
        description = "Run the launcher's class-data sharing training workload (bench --compare on a small CNN).")
final class StartupTrainingCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        for (OperatorRegistry.Entry e : OperatorRegistry.entries()) e.operator();
        Path dir = Files.createTempDirectory("edgerun-startup-training");
        Path file = dir.resolve("model.onnx");
        try {
            for (Model m : StartupTrainingModels.all()) {   // first: they start with the perceptron (see there)
                try (m) {
                    OnnxModels.write(m, file);
                }
                bench(file);
            }
            writeSmallCnn(file);
            return bench(file);
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    /** {@code bench --compare} (or the native engine alone) of the model in {@code file}, printing nothing. */
    private static int bench(Path file) {
        PrintWriter discard = new PrintWriter(OutputStream.nullOutputStream());
        List<String> args = new ArrayList<>(List.of("bench", "--kernels", "auto", "--threads", "1", "--runs", "3",
                "--warmup", "1", "--warmup-seconds", "0", file.toString()));
        args.add(1, onnxRuntimeAvailable() ? "--compare" : "--engine=native");
        return Main.commandLine(discard, discard).execute(args.toArray(new String[0]));
    }

    private static boolean onnxRuntimeAvailable() {
        return Edgerun.engines().stream().anyMatch(e -> e.name().equals("onnxruntime") && e.availability().available());
    }

    private static void writeSmallCnn(Path file) {
        Graph input = Graph.builder("startup_training").input(Value.tensor("input", DType.FLOAT,
                Shape.of(1, DemoModel.INPUT[0], DemoModel.INPUT[1], DemoModel.INPUT[2]))).build();
        try (Model m = Exporter.export(null, input, "input", DemoModel.build(5, 1), List.of("0", "1", "2", "3", "4"), Map.of())) {
            OnnxModels.write(m, file);
        }
    }
}
