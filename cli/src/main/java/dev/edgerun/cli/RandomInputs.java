package dev.edgerun.cli;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.lang.foreign.ValueLayout;

/**
 * Seeded random inputs shaped from a model's declared inputs, for {@code bench}: symbolic
 * dimensions become 1 unless {@code --shape name=1x3x224x224} says otherwise; floats are uniform in
 * [-1, 1); integer inputs (token ids) are small non-negative values, below the row count of any
 * {@code Gather} table they index.
 */
final class RandomInputs {
    private static final long DEFAULT_INT_BOUND = 16;

    private RandomInputs() {}

    /** Parses {@code 1x3x224x224}. */
    static Shape parseShape(String text) {
        String[] parts = text.trim().split("[xX,]");
        long[] dims = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                dims[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad shape '" + text + "': expected dimensions like 1x3x224x224");
            }
        }
        return Shape.of(dims);
    }

    /** The caller owns (and closes) the returned tensors. */
    static Map<String, Tensor> create(Graph graph, Map<String, String> shapeOverrides, long seed) {
        List<Value> inputs = graph.requiredInputs();
        for (String name : shapeOverrides.keySet()) {
            if (inputs.stream().noneMatch(v -> v.name().equals(name))) {
                throw new IllegalArgumentException("--shape names unknown input '" + name + "'; inputs are "
                        + inputs.stream().map(Value::name).toList());
            }
        }
        Random random = new Random(seed);
        Map<String, Tensor> r = new LinkedHashMap<>();
        try {
            for (Value v : inputs) {
                String override = shapeOverrides.get(v.name());
                Shape shape = override != null ? parseShape(override) : concrete(v);
                r.put(v.name(), fill(v, shape, intBound(graph, v.name()), random));
            }
        } catch (RuntimeException e) {
            r.values().forEach(Tensor::close);
            throw e;
        }
        return r;
    }

    private static Shape concrete(Value v) {
        if (!v.isTensor()) {
            throw new IllegalArgumentException("input '" + v.name() + "' is " + v.type() + "; bench feeds tensors only");
        }
        Shape s = v.shape();
        if (s == null) throw new IllegalArgumentException("input '" + v.name() + "' has no declared shape; give --shape "
                + v.name() + "=DIMS");
        long[] dims = s.dims();
        for (int i = 0; i < dims.length; i++) if (dims[i] < 0) dims[i] = 1;
        return Shape.of(dims);
    }

    private static Tensor fill(Value v, Shape shape, long intBound, Random random) {
        DType dtype = v.dtype();
        Tensor t = Tensor.allocate(dtype, shape);
        long n = shape.elementCount();
        var seg = t.data();
        for (long i = 0; i < n; i++) {
            switch (dtype) {
                case FLOAT -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, random.nextFloat() * 2 - 1);
                case DOUBLE -> seg.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i, random.nextDouble() * 2 - 1);
                case FLOAT16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i,
                        Float.floatToFloat16(random.nextFloat() * 2 - 1));
                case INT64 -> seg.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong(intBound));
                case INT32 -> seg.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, (int) random.nextLong(intBound));
                case UINT8, INT8 -> seg.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(Math.min(128, (int) intBound)));
                case BOOL -> seg.set(ValueLayout.JAVA_BYTE, i, (byte) (random.nextBoolean() ? 1 : 0));
                default -> {
                    t.close();
                    throw new IllegalArgumentException("input '" + v.name() + "' is " + dtype.onnxName()
                            + "; bench generates float, double, float16, int64, int32, int8, uint8 and bool inputs");
                }
            }
        }
        return t;
    }

    /** Token ids must index every embedding table they feed. */
    private static long intBound(Graph graph, String input) {
        long bound = DEFAULT_INT_BOUND;
        for (Node n : graph.nodes()) {
            if (!n.opType().equals("Gather") || n.inputs().size() < 2 || !n.inputs().get(1).equals(input)) continue;
            Tensor table = graph.initializers().get(n.inputs().get(0));
            if (table == null) continue;
            long axis = n.attribute("axis") == null ? 0 : n.attribute("axis").asInt();
            int a = (int) (axis < 0 ? axis + table.shape().rank() : axis);
            bound = Math.min(bound, table.shape().dim(a));
        }
        return Math.max(bound, 1);
    }
}
