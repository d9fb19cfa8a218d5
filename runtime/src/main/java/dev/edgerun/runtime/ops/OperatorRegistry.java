package dev.edgerun.runtime.ops;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The one table of operators the native engine implements: (domain, op type) → the operator and
 * the since-versions of the spec it implements. A node binds when the model imports an opset at
 * least the lowest since-version; the operator reads {@link NodeContext#opset()} for differences
 * between versions. Adding an operator is one new class and one line here.
 */
public final class OperatorRegistry {

    /** One row: {@code versions} are the spec's since-versions this class implements, ascending. */
    public record Entry(String domain, String opType, int[] versions, Operator operator) {
        public int minVersion() {
            return versions[0];
        }
    }

    private static final Map<String, Entry> TABLE = new TreeMap<>();

    private static void op(String opType, Supplier<? extends Operator> factory, int... versions) {
        opIn("", opType, factory, versions);
    }

    private static void opIn(String domain, String opType, Supplier<? extends Operator> factory, int... versions) {
        Entry previous = TABLE.put(key(domain, opType), new Entry(domain, opType, versions, factory.get()));
        if (previous != null) throw new IllegalStateException("operator registered twice: " + opType);
    }

    static {
        // ---- element-wise arithmetic, math, comparison, logic, activations, Cast (ops/elementwise) ----
        // (section: elementwise)

        // ---- linear algebra, convolution, pooling, normalization, softmax (ops/nn) ----
        // (section: nn)

        // ---- shape and data movement, indexing, reductions (ops/tensor) ----
        // (section: tensor)

        // ---- control flow, sequences, recurrent, quantization, misc (ops/control, ops/quant, ops/rnn) ----
        // (section: misc)
        op("LSTM", dev.edgerun.runtime.ops.rnn.LSTM::new, 1, 7, 14);
        op("GRU", dev.edgerun.runtime.ops.rnn.GRU::new, 1, 3, 7, 14);
        op("RNN", dev.edgerun.runtime.ops.rnn.RNN::new, 1, 7, 14);
    }

    private OperatorRegistry() {}

    private static String key(String domain, String opType) {
        return (domain == null || domain.equals("ai.onnx") ? "" : domain) + "::" + opType;
    }

    /**
     * The operator for {@code opType} in {@code domain} at the model's {@code opset}, or null when
     * the engine has none or the model's opset is older than any version implemented.
     */
    public static Entry find(String domain, String opType, long opset) {
        Entry e = TABLE.get(key(domain, opType));
        if (e == null || opset < e.minVersion()) return null;
        return e;
    }

    /** Whether any version of the operator exists, for error messages. */
    public static boolean knows(String domain, String opType) {
        return TABLE.containsKey(key(domain, opType));
    }

    /** Every registered row, sorted by domain and op type. */
    public static List<Entry> entries() {
        return Collections.unmodifiableList(new ArrayList<>(TABLE.values()));
    }
}
