package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * ai.onnx.ml LabelEncoder (opsets 2, 4): maps each input value through the keys → values table
 * (keys_strings/int64s/floats or keys_tensor; values likewise), values not in the table becoming
 * the default (default_tensor, or default_string/int64/float of the values' type).
 */
public final class LabelEncoder implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType inType = ctx.inputDType(0);
        List<Object> keys = list(ctx, "keys");
        List<Object> values = list(ctx, "values");
        if (keys == null || values == null || keys.size() != values.size()) {
            throw ctx.error("keys and values must be given with the same length");
        }
        DType outType = type(ctx, "values");
        Object dflt;
        Tensor defaultTensor = ctx.attrTensor("default_tensor");
        if (defaultTensor != null) {
            dflt = element(defaultTensor, 0);
        } else {
            dflt = switch (outType) {
                case STRING -> ctx.attrString("default_string", "_Unused");
                case INT64 -> ctx.attrInt("default_int64", -1);
                default -> (double) ctx.attrFloat("default_float", -0f);
            };
        }
        Map<Object, Object> table = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) table.put(normalize(keys.get(i)), values.get(i));
        long count = ctx.inputShape(0).elementCount();
        long[] dims = ctx.inputShape(0).dims();
        boolean strings = outType == DType.STRING;
        ValueType type = strings ? new ValueType.TensorType(outType, null) : ValueType.tensor(outType, ctx.inputShape(0));
        return Kernel.of(type, rc -> {
            Tensor x = rc.input(0);
            String[] result = strings ? new String[(int) count] : null;
            for (long i = 0; i < count; i++) {
                Object v = table.getOrDefault(normalize(element(x, i)), dflt);
                if (strings) result[(int) i] = (String) v;
                else Elements.put(rc.output(0).data(), outType, i, ((Number) v).doubleValue());
            }
            if (strings) rc.setOutputValue(0, Tensor.ofStrings(result, dims));
        });
    }

    /** Keys compare by value: every number as a double. */
    private static Object normalize(Object key) {
        return key instanceof Number n ? (Object) n.doubleValue() : key;
    }

    private static Object element(Tensor t, long i) {
        if (t.dtype() == DType.STRING) return t.toStringArray()[(int) i];
        if (t.dtype().isFloatingPoint()) return t.getAsDouble(i);
        return t.getAsLong(i);
    }

    private static List<Object> list(NodeContext ctx, String prefix) {
        Tensor t = ctx.attrTensor(prefix + "_tensor");
        if (t != null) {
            List<Object> r = new ArrayList<>();
            for (long i = 0; i < t.elementCount(); i++) r.add(element(t, i));
            return r;
        }
        Attribute a = ctx.node().attribute(prefix + "_strings");
        if (a != null) return new ArrayList<>(a.asStrings());
        a = ctx.node().attribute(prefix + "_int64s");
        if (a != null) {
            List<Object> r = new ArrayList<>();
            for (long v : a.asInts()) r.add(v);
            return r;
        }
        a = ctx.node().attribute(prefix + "_floats");
        if (a != null) {
            List<Object> r = new ArrayList<>();
            for (float v : a.asFloats()) r.add((double) v);
            return r;
        }
        return null;
    }

    private static DType type(NodeContext ctx, String prefix) {
        Tensor t = ctx.attrTensor(prefix + "_tensor");
        if (t != null) return t.dtype();
        if (ctx.hasAttr(prefix + "_strings")) return DType.STRING;
        if (ctx.hasAttr(prefix + "_int64s")) return DType.INT64;
        return DType.FLOAT;
    }
}
