package dev.edgerun.runtime;

import java.util.List;

/**
 * One or more nodes use operators an engine does not implement. All misses of a model are
 * reported at once, each with op type, domain, opset, node name and engine.
 */
public class UnsupportedOperatorException extends EdgerunException {
    /** One unsupported node. {@code hint} may say which engine supports it (or be empty). */
    public record Miss(String opType, String domain, long opset, String nodeName, String reason) {
        @Override
        public String toString() {
            String d = domain == null || domain.isEmpty() ? "ai.onnx" : domain;
            return opType + " (" + d + " opset " + opset + ", node '" + nodeName + "')"
                    + (reason == null || reason.isEmpty() ? "" : ": " + reason);
        }
    }

    private final String engine;
    private final List<Miss> misses;

    public UnsupportedOperatorException(String engine, List<Miss> misses, String hint) {
        super(message(engine, misses, hint));
        this.engine = engine;
        this.misses = List.copyOf(misses);
    }

    private static String message(String engine, List<Miss> misses, String hint) {
        StringBuilder b = new StringBuilder("engine '" + engine + "' does not support "
                + misses.size() + " node(s): ");
        for (int i = 0; i < misses.size(); i++) {
            if (i > 0) b.append("; ");
            if (i == 20) {
                b.append("... and ").append(misses.size() - 20).append(" more");
                break;
            }
            b.append(misses.get(i));
        }
        if (hint != null && !hint.isEmpty()) b.append(". ").append(hint);
        return b.toString();
    }

    public String engine() {
        return engine;
    }

    public List<Miss> misses() {
        return misses;
    }
}
