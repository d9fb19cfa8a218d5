package dev.edgerun.onnx;

import dev.edgerun.onnx.proto.Onnx.AttributeProto;
import dev.edgerun.onnx.proto.Onnx.FunctionProto;
import dev.edgerun.onnx.proto.Onnx.GraphProto;
import dev.edgerun.onnx.proto.Onnx.ModelProto;
import dev.edgerun.onnx.proto.Onnx.NodeProto;
import dev.edgerun.onnx.proto.Onnx.OperatorSetIdProto;
import dev.edgerun.onnx.proto.Onnx.SparseTensorProto;
import dev.edgerun.onnx.proto.Onnx.StringStringEntryProto;
import dev.edgerun.onnx.proto.Onnx.TensorProto;
import dev.edgerun.onnx.proto.Onnx.TensorShapeProto;
import dev.edgerun.onnx.proto.Onnx.TypeProto;
import dev.edgerun.onnx.proto.Onnx.ValueInfoProto;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Function;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.ir.ValueType;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Converts a parsed {@link ModelProto} into the IR and validates it on the way: every node input
 * must be a graph input, an initializer, an earlier node's output or (in a subgraph) a value of an
 * enclosing graph; no value is produced twice; every tensor's data matches its shape.
 *
 * <p>Initializer and attribute tensors are allocated from (or memory-mapped into) one arena, which
 * the returned model owns. One reader reads one model.
 */
final class OnnxReader {
    private final String file;      // label for messages: the file name or "<bytes>"
    private final Arena arena;
    private final ExternalData external;

    OnnxReader(String file, Path folder, Arena arena) {
        this.file = file;
        this.arena = arena;
        this.external = new ExternalData(folder, arena);
    }

    Model model(ModelProto p, Model.Source source) {
        if (!p.hasGraph()) throw new ModelFormatException(file + ": the model has no graph (ModelProto.graph is missing)");
        Model.Builder b = Model.builder()
                .irVersion(p.getIrVersion())
                .producer(p.getProducerName(), p.getProducerVersion())
                .domain(p.getDomain())
                .modelVersion(p.getModelVersion())
                .docString(p.getDocString())
                .source(source)
                .owner(arena);
        for (OperatorSetIdProto o : p.getOpsetImportList()) b.opset(o.getDomain(), o.getVersion());
        for (StringStringEntryProto e : p.getMetadataPropsList()) b.metadata(e.getKey(), e.getValue());
        for (FunctionProto f : p.getFunctionsList()) b.function(function(f));
        b.graph(graph(p.getGraph(), Set.of(), "graph '" + p.getGraph().getName() + "'"));
        return b.build();
    }

    // ------------------------------------------------------------------ graphs and nodes

    /**
     * @param outer names visible from enclosing graphs (empty for the main graph)
     * @param path  where this graph sits, for messages
     */
    private Graph graph(GraphProto g, Set<String> outer, String path) {
        Graph.Builder b = Graph.builder(g.getName()).docString(g.getDocString());
        Set<String> visible = new HashSet<>(outer);
        Map<String, String> producers = new HashMap<>(); // value name -> who defines it in this graph
        Set<String> initializerNames = new HashSet<>();
        for (ValueInfoProto v : g.getInputList()) {
            b.input(value(v, path + " input"));
            define(v.getName(), "graph input", producers, visible, path);
        }
        for (TensorProto t : g.getInitializerList()) {
            String where = path + " initializer '" + t.getName() + "'";
            if (t.getName().isEmpty()) throw new ModelFormatException(file + ": " + path + ": an initializer has no name");
            if (!initializerNames.add(t.getName())) {
                throw new ModelFormatException(file + ": " + where + " is defined twice");
            }
            b.initializer(t.getName(), tensor(t, where));
            visible.add(t.getName());
        }
        for (SparseTensorProto s : g.getSparseInitializerList()) {
            String name = s.getValues().getName();
            if (!initializerNames.add(name)) {
                throw new ModelFormatException(file + ": " + path + " sparse initializer '" + name + "' is defined twice");
            }
            b.initializer(name, sparse(s, path + " sparse initializer '" + name + "'"));
            visible.add(name);
        }
        for (NodeProto n : g.getNodeList()) b.node(node(n, visible, producers, path));
        for (ValueInfoProto v : g.getOutputList()) {
            if (!visible.contains(v.getName())) {
                throw new ModelFormatException(file + ": " + path + ": graph output '" + v.getName()
                        + "' is not produced by any node, nor a graph input or initializer");
            }
            b.output(value(v, path + " output"));
        }
        for (ValueInfoProto v : g.getValueInfoList()) b.valueInfo(value(v, path + " value_info"));
        return b.build();
    }

    private void define(String name, String by, Map<String, String> producers, Set<String> visible, String path) {
        String before = producers.putIfAbsent(name, by);
        if (before != null) {
            throw new ModelFormatException(file + ": " + path + ": value '" + name + "' is produced twice, by "
                    + before + " and by " + by);
        }
        visible.add(name);
    }

    private Node node(NodeProto n, Set<String> visible, Map<String, String> producers, String path) {
        String label = "node '" + (n.getName().isEmpty() ? n.getOpType() + "->" + firstOutput(n) : n.getName())
                + "' (" + n.getOpType() + ")";
        if (n.getOpType().isEmpty()) throw new ModelFormatException(file + ": " + path + ": " + label + " has no op_type");
        for (String in : n.getInputList()) {
            if (!in.isEmpty() && !visible.contains(in)) {
                throw new ModelFormatException(file + ": " + path + ": " + label + " reads input '" + in
                        + "', which is neither a graph input, an initializer, nor an earlier node's output"
                        + " (missing initializer or producer)");
            }
        }
        Node.Builder b = Node.builder(n.getOpType()).name(n.getName()).domain(n.getDomain())
                .docString(n.getDocString()).inputs(n.getInputList()).outputs(n.getOutputList());
        String where = path + " " + label;
        for (AttributeProto a : n.getAttributeList()) b.attribute(attribute(a, visible, where));
        for (String out : n.getOutputList()) {
            if (!out.isEmpty()) define(out, label, producers, visible, path);
        }
        return b.build();
    }

    private static String firstOutput(NodeProto n) {
        return n.getOutputCount() == 0 ? "" : n.getOutput(0);
    }

    private Function function(FunctionProto f) {
        String path = "function '" + f.getDomain() + "." + f.getName() + "'";
        Set<String> visible = new HashSet<>(f.getInputList());
        Map<String, String> producers = new HashMap<>();
        for (String in : f.getInputList()) producers.put(in, "function input");
        List<Node> nodes = new ArrayList<>();
        for (NodeProto n : f.getNodeList()) nodes.add(node(n, visible, producers, path));
        List<Attribute> defaults = new ArrayList<>();
        for (AttributeProto a : f.getAttributeProtoList()) defaults.add(attribute(a, visible, path));
        Map<String, Long> opsets = new LinkedHashMap<>();
        for (OperatorSetIdProto o : f.getOpsetImportList()) opsets.put(o.getDomain(), o.getVersion());
        List<Value> valueInfo = new ArrayList<>();
        for (ValueInfoProto v : f.getValueInfoList()) valueInfo.add(value(v, path + " value_info"));
        return new Function(f.getName(), f.getDomain(), f.getInputList(), f.getOutputList(), f.getAttributeList(),
                defaults, nodes, opsets, valueInfo, f.getDocString());
    }

    // ------------------------------------------------------------------ attributes

    private Attribute attribute(AttributeProto a, Set<String> visible, String where) {
        String at = where + " attribute '" + a.getName() + "'";
        if (a.getName().isEmpty()) throw new ModelFormatException(file + ": " + where + ": an attribute has no name");
        Attribute.Kind kind = kind(a, at);
        Object value = a.getRefAttrName().isEmpty() ? attributeValue(a, kind, visible, at) : null;
        return new Attribute(a.getName(), kind, value, a.getRefAttrName(), a.getDocString());
    }

    private Object attributeValue(AttributeProto a, Attribute.Kind kind, Set<String> visible, String at) {
        return switch (kind) {
            case FLOAT -> a.getF();
            case INT -> a.getI();
            case STRING -> a.getS().toString(StandardCharsets.UTF_8);
            case TENSOR -> tensor(a.getT(), at);
            case GRAPH -> graph(a.getG(), visible, at + " graph '" + a.getG().getName() + "'");
            case SPARSE_TENSOR -> sparse(a.getSparseTensor(), at);
            case TYPE -> type(a.getTp(), at);
            case FLOATS -> {
                float[] f = new float[a.getFloatsCount()];
                for (int i = 0; i < f.length; i++) f[i] = a.getFloats(i);
                yield f;
            }
            case INTS -> {
                long[] l = new long[a.getIntsCount()];
                for (int i = 0; i < l.length; i++) l[i] = a.getInts(i);
                yield l;
            }
            case STRINGS -> a.getStringsList().stream().map(s -> s.toString(StandardCharsets.UTF_8)).toList();
            case TENSORS -> {
                List<Tensor> ts = new ArrayList<>();
                for (int i = 0; i < a.getTensorsCount(); i++) ts.add(tensor(a.getTensors(i), at + "[" + i + "]"));
                yield List.copyOf(ts);
            }
            case GRAPHS -> {
                List<Graph> gs = new ArrayList<>();
                for (int i = 0; i < a.getGraphsCount(); i++) {
                    gs.add(graph(a.getGraphs(i), visible, at + "[" + i + "] graph '" + a.getGraphs(i).getName() + "'"));
                }
                yield List.copyOf(gs);
            }
            case SPARSE_TENSORS -> {
                List<Tensor> ts = new ArrayList<>();
                for (int i = 0; i < a.getSparseTensorsCount(); i++) ts.add(sparse(a.getSparseTensors(i), at + "[" + i + "]"));
                yield List.copyOf(ts);
            }
            case TYPES -> {
                List<ValueType> ts = new ArrayList<>();
                for (int i = 0; i < a.getTypeProtosCount(); i++) ts.add(type(a.getTypeProtos(i), at + "[" + i + "]"));
                yield List.copyOf(ts);
            }
        };
    }

    /** The attribute's kind from its type field, or (IR version 1 files) from the field that is set. */
    private Attribute.Kind kind(AttributeProto a, String at) {
        return switch (a.getType()) {
            case FLOAT -> Attribute.Kind.FLOAT;
            case INT -> Attribute.Kind.INT;
            case STRING -> Attribute.Kind.STRING;
            case TENSOR -> Attribute.Kind.TENSOR;
            case GRAPH -> Attribute.Kind.GRAPH;
            case SPARSE_TENSOR -> Attribute.Kind.SPARSE_TENSOR;
            case TYPE_PROTO -> Attribute.Kind.TYPE;
            case FLOATS -> Attribute.Kind.FLOATS;
            case INTS -> Attribute.Kind.INTS;
            case STRINGS -> Attribute.Kind.STRINGS;
            case TENSORS -> Attribute.Kind.TENSORS;
            case GRAPHS -> Attribute.Kind.GRAPHS;
            case SPARSE_TENSORS -> Attribute.Kind.SPARSE_TENSORS;
            case TYPE_PROTOS -> Attribute.Kind.TYPES;
            case UNDEFINED -> kindFromField(a, at);
        };
    }

    private Attribute.Kind kindFromField(AttributeProto a, String at) {
        if (a.hasF()) return Attribute.Kind.FLOAT;
        if (a.hasI()) return Attribute.Kind.INT;
        if (a.hasS()) return Attribute.Kind.STRING;
        if (a.hasT()) return Attribute.Kind.TENSOR;
        if (a.hasG()) return Attribute.Kind.GRAPH;
        if (a.hasSparseTensor()) return Attribute.Kind.SPARSE_TENSOR;
        if (a.hasTp()) return Attribute.Kind.TYPE;
        if (a.getFloatsCount() > 0) return Attribute.Kind.FLOATS;
        if (a.getIntsCount() > 0) return Attribute.Kind.INTS;
        if (a.getStringsCount() > 0) return Attribute.Kind.STRINGS;
        if (a.getTensorsCount() > 0) return Attribute.Kind.TENSORS;
        if (a.getGraphsCount() > 0) return Attribute.Kind.GRAPHS;
        if (a.getSparseTensorsCount() > 0) return Attribute.Kind.SPARSE_TENSORS;
        if (a.getTypeProtosCount() > 0) return Attribute.Kind.TYPES;
        throw new ModelFormatException(file + ": " + at + ": the attribute has no type and no value");
    }

    // ------------------------------------------------------------------ tensors

    private Tensor tensor(TensorProto t, String where) {
        String at = file + ": " + where;
        TensorDecoder.Layout l = TensorDecoder.layout(t, at);
        if (TensorDecoder.isExternal(t)) return external.tensor(t, l, at);
        return TensorDecoder.decodeInline(t, l, arena, at);
    }

    /** A sparse tensor, made dense (the IR has no sparse tensors). */
    private Tensor sparse(SparseTensorProto s, String where) {
        Tensor values = tensor(s.getValues(), where + " values");
        Tensor indices = tensor(s.getIndices(), where + " indices");
        return SparseTensors.densify(values, indices, s.getDimsList(), arena, file + ": " + where);
    }

    // ------------------------------------------------------------------ values and types

    private Value value(ValueInfoProto v, String where) {
        ValueType type = v.hasType() ? type(v.getType(), where + " '" + v.getName() + "'") : new ValueType.Unknown();
        return new Value(v.getName(), type, v.getDocString());
    }

    ValueType type(TypeProto t, String where) {
        return switch (t.getValueCase()) {
            case TENSOR_TYPE -> new ValueType.TensorType(elemType(t.getTensorType().getElemType(), where),
                    t.getTensorType().hasShape() ? shape(t.getTensorType().getShape()) : null);
            case SPARSE_TENSOR_TYPE -> new ValueType.SparseTensorType(elemType(t.getSparseTensorType().getElemType(), where),
                    t.getSparseTensorType().hasShape() ? shape(t.getSparseTensorType().getShape()) : null);
            case SEQUENCE_TYPE -> new ValueType.SequenceType(t.getSequenceType().hasElemType()
                    ? type(t.getSequenceType().getElemType(), where) : new ValueType.Unknown());
            case OPTIONAL_TYPE -> new ValueType.OptionalType(t.getOptionalType().hasElemType()
                    ? type(t.getOptionalType().getElemType(), where) : new ValueType.Unknown());
            case MAP_TYPE -> new ValueType.MapType(elemType(t.getMapType().getKeyType(), where),
                    t.getMapType().hasValueType() ? type(t.getMapType().getValueType(), where) : new ValueType.Unknown());
            case VALUE_NOT_SET -> new ValueType.Unknown();
        };
    }

    /** Element types in types may be UNDEFINED (0): "not known". */
    private DType elemType(int code, String where) {
        if (code == 0) return DType.UNDEFINED;
        return TensorDecoder.dataType(code, file + ": " + where);
    }

    static Shape shape(TensorShapeProto s) {
        long[] dims = new long[s.getDimCount()];
        String[] symbols = new String[dims.length];
        for (int i = 0; i < dims.length; i++) {
            TensorShapeProto.Dimension d = s.getDim(i);
            dims[i] = d.hasDimValue() && d.getDimValue() >= 0 ? d.getDimValue() : -1;
            symbols[i] = d.hasDimParam() ? d.getDimParam() : null;
        }
        return Shape.symbolic(dims, symbols);
    }
}
