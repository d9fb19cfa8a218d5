package dev.edgerun.cli;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.io.Json;
import dev.edgerun.runtime.ir.Model;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code edgerun convert MODEL -o OUT.onnx}: any importable format (Keras, ONNX) written as ONNX. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert any importable model (Keras .keras/.h5, ONNX) to ONNX.")
final class ConvertCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Parameters(paramLabel = "MODEL", description = "the model to convert")
    Path file;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.onnx", required = true, description = "the ONNX file to write")
    Path output;

    @Option(names = "--external-data", description = "keep tensors of 1 KiB or more in OUT.onnx.data beside the model")
    boolean externalData;

    @Override
    public Integer call() throws IOException {
        if (output.toAbsolutePath().normalize().equals(file.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("refusing to overwrite the input " + file + "; choose another -o");
        }
        try (Model model = Edgerun.load(file)) {
            Path parent = output.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            OnnxModels.write(model, output, externalData);
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("input", file.toString());
            doc.put("format", model.source() != null ? model.source().format() : "unknown");
            doc.put("output", output.toString());
            doc.put("bytes", Files.size(output));
            Path data = output.resolveSibling(output.getFileName() + ".data");
            doc.put("external_data", externalData && Files.exists(data) ? data.toString() : null);
            doc.put("nodes", model.graph().nodes().size());
            doc.put("parameters", model.graph().parameterCount());
            Map<String, Object> opsets = new LinkedHashMap<>();
            model.opsetImports().forEach((d, v) -> opsets.put(d.isEmpty() ? "ai.onnx" : d, v));
            doc.put("opsets", opsets);
            PrintWriter out = spec.commandLine().getOut();
            if (common.json) {
                out.println(Json.write(doc));
            } else {
                out.printf("wrote %s (%s): %d nodes, %s parameters, opsets %s, from %s (%s)%n", output,
                        Format.bytes((Long) doc.get("bytes")), model.graph().nodes().size(),
                        Format.count(model.graph().parameterCount()), opsets, file, doc.get("format"));
                if (doc.get("external_data") != null) out.println("tensors in " + doc.get("external_data"));
            }
            out.flush();
        }
        return Main.OK;
    }
}
