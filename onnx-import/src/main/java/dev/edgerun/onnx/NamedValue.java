package dev.edgerun.onnx;

import dev.edgerun.onnx.proto.Onnx.TensorProto;
import dev.edgerun.onnx.proto.OnnxData.MapProto;
import dev.edgerun.onnx.proto.OnnxData.OptionalProto;
import dev.edgerun.onnx.proto.OnnxData.SequenceProto;
import dev.edgerun.runtime.ir.ValueType;
import java.nio.file.Path;

/** A test-data value file read together with the name stored in it (null when none). */
record NamedValue(String name, Object value) {

    static NamedValue read(Path pb, ValueType type) {
        byte[] bytes = TensorProtos.readBytes(pb);
        String where = pb.toString();
        return switch (type) {
            case ValueType.SequenceType s -> {
                SequenceProto p = TensorProtos.parse(bytes, where, SequenceProto.parser());
                yield new NamedValue(emptyToNull(p.getName()), TensorProtos.fromSequence(p, where));
            }
            case ValueType.OptionalType o -> {
                OptionalProto p = TensorProtos.parse(bytes, where, OptionalProto.parser());
                yield new NamedValue(emptyToNull(p.getName()), TensorProtos.fromOptional(p, where));
            }
            case ValueType.MapType m -> {
                MapProto p = TensorProtos.parse(bytes, where, MapProto.parser());
                yield new NamedValue(emptyToNull(p.getName()), TensorProtos.fromMap(p, where));
            }
            case null, default -> {
                TensorProto p = TensorProtos.parseTensor(bytes, where);
                yield new NamedValue(emptyToNull(p.getName()), TensorProtos.fromProto(p, where));
            }
        };
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
