package dev.edgerun.devices;

import ai.onnxruntime.OrtException;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.EngineUnavailableException;
import dev.edgerun.runtime.InvalidInputException;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.UnsupportedOperatorException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns ONNX Runtime's checked {@link OrtException}s into Edgerun's typed exceptions. */
final class OrtErrors {
    private OrtErrors() {}

    /** ONNX Runtime's wording for a kernel it lacks: "Could not find an implementation for Foo(23) node with name 'n'". */
    private static final Pattern NO_KERNEL =
            Pattern.compile("implementation for (\\w+)\\((\\d+)\\) node with name '([^']*)'");

    /** A failure while creating a session for {@code model} (a file name or graph name). */
    static EdgerunException atCompile(String model, long opset, OrtException e) {
        String message = model + ": ONNX Runtime " + OnnxRuntimeEngine.ortVersion() + " cannot load the model: "
                + clean(e.getMessage());
        return switch (e.getCode()) {
            case ORT_NOT_IMPLEMENTED -> unsupported(message, opset, e);
            case ORT_EP_FAIL, ORT_ENGINE_ERROR -> new EngineUnavailableException(message, e);
            default -> new ModelFormatException(message, e);
        };
    }

    /** A failure during {@code run}. */
    static EdgerunException atRun(String model, OrtException e) {
        String message = model + ": ONNX Runtime run failed: " + clean(e.getMessage());
        return switch (e.getCode()) {
            case ORT_INVALID_ARGUMENT -> new InvalidInputException(message);
            default -> new EdgerunException(message, e);
        };
    }

    private static EdgerunException unsupported(String message, long opset, OrtException e) {
        List<UnsupportedOperatorException.Miss> misses = new ArrayList<>();
        Matcher m = NO_KERNEL.matcher(e.getMessage() == null ? "" : e.getMessage());
        while (m.find()) {
            misses.add(new UnsupportedOperatorException.Miss(m.group(1), "", Long.parseLong(m.group(2)),
                    m.group(3), "no ONNX Runtime kernel (model opset " + opset + ")"));
        }
        if (misses.isEmpty()) return new ModelFormatException(message, e);
        return new UnsupportedOperatorException(OnnxRuntimeEngine.NAME, misses,
                "try --engine native, or an ONNX Runtime build that implements it");
    }

    /** ONNX Runtime prefixes messages with "Error code - ORT_... - message - "; keep the message. */
    private static String clean(String m) {
        if (m == null) return "(no message)";
        int i = m.indexOf(" - message - ");
        String s = i >= 0 ? m.substring(i + " - message - ".length()) : m;
        return s.strip().replace('\n', ' ');
    }
}
