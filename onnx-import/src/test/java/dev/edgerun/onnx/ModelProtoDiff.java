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
import dev.edgerun.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Semantic comparison of two ModelProtos, for round-trip tests: lists every difference in the
 * fields the IR promises to keep (nodes in order with all attributes, initializers by decoded
 * value, opsets, metadata, input/output/value_info types, functions). Tensor names inside
 * attributes, denotations and storage form (raw_data vs typed fields) are not compared.
 */
final class ModelProtoDiff {
    private final List<String> diffs = new ArrayList<>();

    static List<String> diff(ModelProto a, ModelProto b) {
        ModelProtoDiff d = new ModelProtoDiff();
        d.model(a, b);
        return d.diffs;
    }

    private void check(boolean same, String where, Object a, Object b) {
        if (!same && diffs.size() < 20) diffs.add(where + ": " + a + " != " + b);
    }

    private void eq(Object a, Object b, String where) {
        check(a.equals(b), where, a, b);
    }

    private void model(ModelProto a, ModelProto b) {
        eq(a.getIrVersion(), b.getIrVersion(), "ir_version");
        eq(a.getProducerName(), b.getProducerName(), "producer_name");
        eq(a.getProducerVersion(), b.getProducerVersion(), "producer_version");
        eq(a.getDomain(), b.getDomain(), "domain");
        eq(a.getModelVersion(), b.getModelVersion(), "model_version");
        eq(a.getDocString(), b.getDocString(), "doc_string");
        eq(opsets(a.getOpsetImportList()), opsets(b.getOpsetImportList()), "opset_import");
        eq(entries(a.getMetadataPropsList()), entries(b.getMetadataPropsList()), "metadata_props");
        eq(a.getFunctionsCount(), b.getFunctionsCount(), "functions count");
        for (int i = 0; i < Math.min(a.getFunctionsCount(), b.getFunctionsCount()); i++) {
            function(a.getFunctions(i), b.getFunctions(i), "function " + a.getFunctions(i).getName());
        }
        graph(a.getGraph(), b.getGraph(), "graph");
    }

    private static Map<String, Long> opsets(List<OperatorSetIdProto> l) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (OperatorSetIdProto o : l) m.put(o.getDomain(), o.getVersion());
        return m;
    }

    private static Map<String, String> entries(List<StringStringEntryProto> l) {
        Map<String, String> m = new LinkedHashMap<>();
        for (StringStringEntryProto e : l) m.put(e.getKey(), e.getValue());
        return m;
    }

    private void function(FunctionProto a, FunctionProto b, String where) {
        eq(a.getName(), b.getName(), where + " name");
        eq(a.getDomain(), b.getDomain(), where + " domain");
        eq(a.getInputList(), b.getInputList(), where + " inputs");
        eq(a.getOutputList(), b.getOutputList(), where + " outputs");
        eq(a.getAttributeList(), b.getAttributeList(), where + " attribute names");
        eq(opsets(a.getOpsetImportList()), opsets(b.getOpsetImportList()), where + " opset_import");
        attributes(a.getAttributeProtoList(), b.getAttributeProtoList(), where + " attribute_proto");
        nodes(a.getNodeList(), b.getNodeList(), where);
        values(a.getValueInfoList(), b.getValueInfoList(), where + " value_info");
    }

    private void graph(GraphProto a, GraphProto b, String where) {
        eq(a.getName(), b.getName(), where + " name");
        eq(a.getDocString(), b.getDocString(), where + " doc_string");
        nodes(a.getNodeList(), b.getNodeList(), where);
        values(a.getInputList(), b.getInputList(), where + " inputs");
        values(a.getOutputList(), b.getOutputList(), where + " outputs");
        values(a.getValueInfoList(), b.getValueInfoList(), where + " value_info");
        Map<String, TensorProto> ia = initializers(a);
        Map<String, TensorProto> ib = initializers(b);
        eq(ia.keySet().stream().toList(), ib.keySet().stream().toList(), where + " initializer names");
        for (String name : ia.keySet()) {
            if (ib.containsKey(name)) tensor(ia.get(name), ib.get(name), where + " initializer '" + name + "'");
        }
    }

    /** Dense and sparse initializers by name, sparse ones made dense. */
    private static Map<String, TensorProto> initializers(GraphProto g) {
        Map<String, TensorProto> m = new LinkedHashMap<>();
        for (TensorProto t : g.getInitializerList()) m.put(t.getName(), t);
        for (SparseTensorProto s : g.getSparseInitializerList()) m.put(s.getValues().getName(), dense(s));
        return m;
    }

    private void nodes(List<NodeProto> a, List<NodeProto> b, String where) {
        eq(a.size(), b.size(), where + " node count");
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            NodeProto x = a.get(i);
            NodeProto y = b.get(i);
            String at = where + " node " + i + " (" + x.getOpType() + " '" + x.getName() + "')";
            eq(x.getOpType(), y.getOpType(), at + " op_type");
            eq(domain(x.getDomain()), domain(y.getDomain()), at + " domain");
            eq(x.getName(), y.getName(), at + " name");
            eq(x.getDocString(), y.getDocString(), at + " doc_string");
            eq(x.getInputList(), y.getInputList(), at + " inputs");
            eq(x.getOutputList(), y.getOutputList(), at + " outputs");
            attributes(x.getAttributeList(), y.getAttributeList(), at);
        }
    }

    private static String domain(String d) {
        return d.equals("ai.onnx") ? "" : d;
    }

    private void attributes(List<AttributeProto> a, List<AttributeProto> b, String where) {
        eq(a.stream().map(AttributeProto::getName).toList(), b.stream().map(AttributeProto::getName).toList(),
                where + " attribute names");
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) attribute(a.get(i), b.get(i), where + " attribute '" + a.get(i).getName() + "'");
    }

    private void attribute(AttributeProto a, AttributeProto b, String at) {
        if (a.getType() != AttributeProto.AttributeType.UNDEFINED) eq(a.getType(), b.getType(), at + " type");
        eq(a.getRefAttrName(), b.getRefAttrName(), at + " ref_attr_name");
        eq(a.getDocString(), b.getDocString(), at + " doc_string");
        if (!a.getRefAttrName().isEmpty()) return;
        switch (b.getType()) {
            case FLOAT -> eq(Float.floatToIntBits(a.getF()), Float.floatToIntBits(b.getF()), at + " f (bits)");
            case INT -> eq(a.getI(), b.getI(), at + " i");
            case STRING -> eq(a.getS(), b.getS(), at + " s");
            case TENSOR -> tensor(a.getT(), b.getT(), at + " t");
            case GRAPH -> graph(a.getG(), b.getG(), at + " g");
            case SPARSE_TENSOR -> tensor(dense(a.getSparseTensor()), dense(b.getSparseTensor()), at + " sparse_tensor");
            case TYPE_PROTO -> eq(normal(a.getTp()), normal(b.getTp()), at + " tp");
            case FLOATS -> eq(floatBits(a.getFloatsList()), floatBits(b.getFloatsList()), at + " floats");
            case INTS -> eq(a.getIntsList(), b.getIntsList(), at + " ints");
            case STRINGS -> eq(a.getStringsList(), b.getStringsList(), at + " strings");
            case TENSORS -> {
                eq(a.getTensorsCount(), b.getTensorsCount(), at + " tensors count");
                for (int i = 0; i < Math.min(a.getTensorsCount(), b.getTensorsCount()); i++) {
                    tensor(a.getTensors(i), b.getTensors(i), at + " tensors[" + i + "]");
                }
            }
            case GRAPHS -> {
                eq(a.getGraphsCount(), b.getGraphsCount(), at + " graphs count");
                for (int i = 0; i < Math.min(a.getGraphsCount(), b.getGraphsCount()); i++) {
                    graph(a.getGraphs(i), b.getGraphs(i), at + " graphs[" + i + "]");
                }
            }
            case SPARSE_TENSORS -> {
                eq(a.getSparseTensorsCount(), b.getSparseTensorsCount(), at + " sparse_tensors count");
                for (int i = 0; i < Math.min(a.getSparseTensorsCount(), b.getSparseTensorsCount()); i++) {
                    tensor(dense(a.getSparseTensors(i)), dense(b.getSparseTensors(i)), at + " sparse_tensors[" + i + "]");
                }
            }
            case TYPE_PROTOS -> eq(a.getTypeProtosList().stream().map(ModelProtoDiff::normal).toList(),
                    b.getTypeProtosList().stream().map(ModelProtoDiff::normal).toList(), at + " type_protos");
            default -> check(false, at, "unexpected written attribute type", b.getType());
        }
    }

    private static List<Integer> floatBits(List<Float> l) {
        return l.stream().map(Float::floatToIntBits).toList();
    }

    private void values(List<ValueInfoProto> a, List<ValueInfoProto> b, String where) {
        eq(a.stream().map(ValueInfoProto::getName).toList(), b.stream().map(ValueInfoProto::getName).toList(), where + " names");
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            String at = where + " '" + a.get(i).getName() + "'";
            eq(normal(a.get(i).getType()), normal(b.get(i).getType()), at + " type");
            eq(a.get(i).getDocString(), b.get(i).getDocString(), at + " doc_string");
        }
    }

    /** A type without denotations, dims without denotations. */
    static TypeProto normal(TypeProto t) {
        TypeProto.Builder b = t.toBuilder().clearDenotation();
        switch (t.getValueCase()) {
            case TENSOR_TYPE -> b.setTensorType(b.getTensorType().toBuilder().setShape(normal(t.getTensorType().getShape()))
                    .build());
            case SPARSE_TENSOR_TYPE -> b.setSparseTensorType(b.getSparseTensorType().toBuilder()
                    .setShape(normal(t.getSparseTensorType().getShape())).build());
            case SEQUENCE_TYPE -> b.setSequenceType(TypeProto.Sequence.newBuilder().setElemType(normal(t.getSequenceType().getElemType())));
            case OPTIONAL_TYPE -> b.setOptionalType(TypeProto.Optional.newBuilder().setElemType(normal(t.getOptionalType().getElemType())));
            case MAP_TYPE -> b.setMapType(t.getMapType().toBuilder().setValueType(normal(t.getMapType().getValueType())));
            case VALUE_NOT_SET -> { }
        }
        if (t.getValueCase() == TypeProto.ValueCase.TENSOR_TYPE && !t.getTensorType().hasShape()) {
            b.setTensorType(b.getTensorType().toBuilder().clearShape());
        }
        if (t.getValueCase() == TypeProto.ValueCase.SPARSE_TENSOR_TYPE && !t.getSparseTensorType().hasShape()) {
            b.setSparseTensorType(b.getSparseTensorType().toBuilder().clearShape());
        }
        return b.build();
    }

    private static TensorShapeProto normal(TensorShapeProto s) {
        TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
        for (TensorShapeProto.Dimension d : s.getDimList()) b.addDim(d.toBuilder().clearDenotation());
        return b.build();
    }

    private void tensor(TensorProto a, TensorProto b, String at) {
        eq(a.getDataType(), b.getDataType(), at + " data_type");
        eq(a.getDimsList(), b.getDimsList(), at + " dims");
        try (Tensor x = TensorProtos.fromProto(a); Tensor y = TensorProtos.fromProto(b)) {
            if (x.dtype() == DType.STRING) {
                check(Arrays.equals(x.toStringArray(), y.toStringArray()), at + " strings", "", "");
            } else {
                check(Arrays.equals(x.toByteArray(), y.toByteArray()), at + " element bytes",
                        x.byteSize() + " bytes", y.byteSize() + " bytes");
            }
        }
    }

    /** The dense TensorProto of a sparse one (values scattered at their linear or coordinate indices). */
    static TensorProto dense(SparseTensorProto s) {
        try (Tensor values = TensorProtos.fromProto(s.getValues()); Tensor indices = TensorProtos.fromProto(s.getIndices());
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            Tensor d = SparseTensors.densify(values, indices, s.getDimsList(), arena, "test");
            return TensorProtos.toProto(s.getValues().getName(), d);
        }
    }
}
