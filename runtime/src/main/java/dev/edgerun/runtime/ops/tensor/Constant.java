package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.List;

/** ONNX Constant (1, 9, 11, 12, 13, 19, 21, 23): the value of whichever {@code value*} (or {@code sparse_value}) attribute is set. */
public final class Constant implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Attribute set = null;
        for (Attribute a : ctx.node().attributes().values()) {
            if (a.name().startsWith("value") || a.name().equals("sparse_value")) {
                if (set != null) throw ctx.error("exactly one value attribute allowed, got '" + set.name() + "' and '" + a.name() + "'");
                set = a;
            }
        }
        if (set == null) throw ctx.error("no value attribute (value, value_float, value_floats, value_int, value_ints, value_string, value_strings, sparse_value)");
        return Kernel.constant(valueOf(ctx, set));
    }

    private static Tensor valueOf(NodeContext ctx, Attribute a) {
        return switch (a.name()) {
            case "value" -> a.asTensor().copy();
            case "value_float" -> Tensor.scalar(a.asFloat());
            case "value_floats" -> {
                float[] v = a.asFloats();
                yield Tensor.of(v, v.length);
            }
            case "value_int" -> Tensor.scalar(a.asInt());
            case "value_ints" -> {
                long[] v = a.asInts();
                yield Tensor.of(v, v.length);
            }
            case "value_string" -> Tensor.ofStrings(new String[] {a.asString()});
            case "value_strings" -> {
                List<String> v = a.asStrings();
                yield Tensor.ofStrings(v.toArray(String[]::new), v.size());
            }
            // The importer densifies sparse tensors: the IR holds the dense form.
            case "sparse_value" -> {
                if (!(a.value() instanceof Tensor t)) throw ctx.unsupported("sparse_value held as " + a.value().getClass().getSimpleName());
                yield t.copy();
            }
            default -> throw ctx.error("unknown value attribute '" + a.name() + "'");
        };
    }
}
