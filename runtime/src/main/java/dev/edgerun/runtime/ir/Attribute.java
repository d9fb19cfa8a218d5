package dev.edgerun.runtime.ir;

import dev.edgerun.runtime.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * A node attribute: a name, a {@link Kind} and a value of the matching Java type
 * ({@code float}, {@code long}, {@code String}, {@link Tensor}, {@link Graph} or arrays/lists of
 * them). Tensor values belong to the model that holds them.
 *
 * <p>{@code refAttrName} is set instead of a value inside ONNX function bodies.
 */
public record Attribute(String name, Kind kind, Object value, String refAttrName, String docString) {

    public enum Kind { FLOAT, INT, STRING, TENSOR, GRAPH, SPARSE_TENSOR, TYPE,
        FLOATS, INTS, STRINGS, TENSORS, GRAPHS, SPARSE_TENSORS, TYPES }

    public Attribute {
        if (docString == null) docString = "";
        if (refAttrName == null) refAttrName = "";
    }

    public static Attribute of(String name, float v) { return new Attribute(name, Kind.FLOAT, v, "", ""); }
    public static Attribute of(String name, long v) { return new Attribute(name, Kind.INT, v, "", ""); }
    public static Attribute of(String name, String v) { return new Attribute(name, Kind.STRING, v, "", ""); }
    public static Attribute of(String name, Tensor v) { return new Attribute(name, Kind.TENSOR, v, "", ""); }
    public static Attribute of(String name, Graph v) { return new Attribute(name, Kind.GRAPH, v, "", ""); }
    public static Attribute of(String name, float[] v) { return new Attribute(name, Kind.FLOATS, v.clone(), "", ""); }
    public static Attribute of(String name, long[] v) { return new Attribute(name, Kind.INTS, v.clone(), "", ""); }
    public static Attribute ofStrings(String name, List<String> v) { return new Attribute(name, Kind.STRINGS, List.copyOf(v), "", ""); }
    public static Attribute ofTensors(String name, List<Tensor> v) { return new Attribute(name, Kind.TENSORS, List.copyOf(v), "", ""); }
    public static Attribute ofGraphs(String name, List<Graph> v) { return new Attribute(name, Kind.GRAPHS, List.copyOf(v), "", ""); }

    public float asFloat() { return ((Number) expect(Kind.FLOAT)).floatValue(); }
    public long asInt() { return ((Number) expect(Kind.INT)).longValue(); }
    public String asString() { return (String) expect(Kind.STRING); }
    public Tensor asTensor() { return (Tensor) expect(Kind.TENSOR); }
    public Graph asGraph() { return (Graph) expect(Kind.GRAPH); }
    public float[] asFloats() { return ((float[]) expect(Kind.FLOATS)).clone(); }
    public long[] asInts() { return ((long[]) expect(Kind.INTS)).clone(); }
    @SuppressWarnings("unchecked") public List<String> asStrings() { return (List<String>) expect(Kind.STRINGS); }
    @SuppressWarnings("unchecked") public List<Tensor> asTensors() { return (List<Tensor>) expect(Kind.TENSORS); }
    @SuppressWarnings("unchecked") public List<Graph> asGraphs() { return (List<Graph>) expect(Kind.GRAPHS); }

    private Object expect(Kind k) {
        if (kind != k) {
            throw new IllegalStateException("attribute '" + name + "' is " + kind + ", not " + k);
        }
        return value;
    }

    @Override
    public String toString() {
        String v = switch (kind) {
            case FLOATS -> Arrays.toString((float[]) value);
            case INTS -> Arrays.toString((long[]) value);
            case GRAPH -> "graph(" + ((Graph) value).name() + ")";
            default -> String.valueOf(value);
        };
        return name + "=" + v;
    }
}
