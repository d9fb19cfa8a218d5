package dev.edgerun.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.edgerun.onnx.proto.Onnx.TensorProto;
import dev.edgerun.onnx.proto.OnnxData.MapProto;
import dev.edgerun.onnx.proto.OnnxData.OptionalProto;
import dev.edgerun.onnx.proto.OnnxData.SequenceProto;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX {@code TensorProto} ⇄ {@link Tensor}, and the value files of ONNX test folders
 * ({@code input_0.pb}: a serialized TensorProto, SequenceProto or OptionalProto).
 *
 * <pre>{@code
 * try (Tensor x = TensorProtos.read(Path.of("test_data_set_0/input_0.pb"))) { ... }
 * TensorProto p = TensorProtos.toProto("x", tensor);
 * }</pre>
 *
 * <p>Every storage form is read: {@code raw_data} and each typed field ({@code float_data},
 * {@code int32_data} — also the bit patterns of int8/uint8/int16/uint16/bool/float16/bfloat16/
 * float8 and the packed nibbles of int4/uint4/float4 —, {@code int64_data}, {@code double_data},
 * {@code uint64_data}, {@code string_data}). Tensors returned here own their memory. Writing always
 * uses {@code raw_data} (strings: {@code string_data}).
 *
 * <p>Non-tensor values: a sequence is a {@code List<Object>}, a map a {@code Map<Object, Object>}
 * (keys Long or String), an optional either its element or {@code null}. {@link #closeValue}
 * closes every tensor such a value holds.
 */
public final class TensorProtos {
    private TensorProtos() {}

    /** Reads a file holding one serialized TensorProto. */
    public static Tensor read(Path pb) {
        return fromProto(parseTensor(readBytes(pb), pb.toString()), pb.toString());
    }

    /** An owned tensor holding the proto's elements (external data is not allowed here). */
    public static Tensor fromProto(TensorProto p) {
        return fromProto(p, "tensor '" + p.getName() + "'");
    }

    static Tensor fromProto(TensorProto p, String where) {
        TensorDecoder.Layout l = TensorDecoder.layout(p, where);
        if (TensorDecoder.isExternal(p)) {
            throw new ModelFormatException(where + ": uses external data, which is only read as part of a model file");
        }
        return TensorDecoder.decodeInline(p, l, null, where);
    }

    /** The tensor as a TensorProto with {@code raw_data} (or {@code string_data} for strings). */
    public static TensorProto toProto(String name, Tensor t) {
        TensorProto.Builder b = TensorProto.newBuilder().setDataType(t.dtype().onnxCode());
        if (name != null && !name.isEmpty()) b.setName(name);
        for (long d : t.shape().dims()) b.addDims(d);
        if (t.dtype() == DType.STRING) {
            for (String s : t.toStringArray()) b.addStringData(ByteString.copyFrom(s, StandardCharsets.UTF_8));
        } else {
            b.setRawData(ByteString.copyFrom(t.data().asByteBuffer()));
        }
        return b.build();
    }

    // ------------------------------------------------------------------ test-data values

    /**
     * Reads a value file as the value of {@code type}: a tensor (also when {@code type} is null or
     * unknown), a sequence ({@code List<Object>}), a map or an optional (its element, or null).
     */
    public static Object readValue(Path pb, ValueType type) {
        byte[] bytes = readBytes(pb);
        String where = pb.toString();
        return switch (type) {
            case ValueType.SequenceType s -> fromSequence(parse(bytes, where, SequenceProto.parser()), where);
            case ValueType.OptionalType o -> fromOptional(parse(bytes, where, OptionalProto.parser()), where);
            case ValueType.MapType m -> fromMap(parse(bytes, where, MapProto.parser()), where);
            case null, default -> fromProto(parseTensor(bytes, where), where);
        };
    }

    /** A sequence's elements, in order. */
    public static List<Object> fromSequence(SequenceProto s) {
        return fromSequence(s, "sequence '" + s.getName() + "'");
    }

    /** An optional's element, or null when it holds none. */
    public static Object fromOptional(OptionalProto o) {
        return fromOptional(o, "optional '" + o.getName() + "'");
    }

    static List<Object> fromSequence(SequenceProto s, String where) {
        List<Object> r = new ArrayList<>();
        try {
            switch (s.getElemType()) {
                case 0 -> { } // UNDEFINED: an empty sequence
                case 1 -> { for (TensorProto t : s.getTensorValuesList()) r.add(fromProto(t, where + "[" + r.size() + "]")); }
                case 3 -> { for (SequenceProto e : s.getSequenceValuesList()) r.add(fromSequence(e, where + "[" + r.size() + "]")); }
                case 4 -> { for (MapProto e : s.getMapValuesList()) r.add(fromMap(e, where + "[" + r.size() + "]")); }
                case 5 -> { for (OptionalProto e : s.getOptionalValuesList()) r.add(fromOptional(e, where + "[" + r.size() + "]")); }
                default -> throw new ModelFormatException(where + ": unsupported sequence elem_type " + s.getElemType());
            }
        } catch (RuntimeException e) {
            closeValue(r);
            throw e;
        }
        return Collections.unmodifiableList(r);
    }

    static Object fromOptional(OptionalProto o, String where) {
        return switch (o.getElemType()) {
            case 0 -> null;
            case 1 -> o.hasTensorValue() ? fromProto(o.getTensorValue(), where) : null;
            case 3 -> o.hasSequenceValue() ? fromSequence(o.getSequenceValue(), where) : null;
            case 4 -> o.hasMapValue() ? fromMap(o.getMapValue(), where) : null;
            case 5 -> o.hasOptionalValue() ? fromOptional(o.getOptionalValue(), where) : null;
            default -> throw new ModelFormatException(where + ": unsupported optional elem_type " + o.getElemType());
        };
    }

    static Map<Object, Object> fromMap(MapProto m, String where) {
        List<Object> keys = new ArrayList<>();
        if (m.getKeyType() == DType.STRING.onnxCode()) {
            m.getStringKeysList().forEach(k -> keys.add(k.toString(StandardCharsets.UTF_8)));
        } else {
            keys.addAll(m.getKeysList());
        }
        List<Object> values = fromSequence(m.getValues(), where + " values");
        if (values.size() != keys.size()) {
            closeValue(values);
            throw new ModelFormatException(where + ": map has " + keys.size() + " keys but " + values.size() + " values");
        }
        Map<Object, Object> r = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) r.put(keys.get(i), values.get(i));
        return Collections.unmodifiableMap(r);
    }

    /** Closes every tensor in a value read by {@link #readValue} (tensor, list, map or null). */
    public static void closeValue(Object value) {
        switch (value) {
            case Tensor t -> t.close();
            case Collection<?> c -> c.forEach(TensorProtos::closeValue);
            case Map<?, ?> m -> m.values().forEach(TensorProtos::closeValue);
            case null, default -> { }
        }
    }

    // ------------------------------------------------------------------ parsing

    static byte[] readBytes(Path pb) {
        try {
            return Files.readAllBytes(pb);
        } catch (IOException e) {
            throw new ModelFormatException(pb + ": cannot read: " + e, e);
        }
    }

    static TensorProto parseTensor(byte[] bytes, String where) {
        return parse(bytes, where, TensorProto.parser());
    }

    static <T> T parse(byte[] bytes, String where, com.google.protobuf.Parser<T> parser) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.enableAliasing(true);
            in.setSizeLimit(Integer.MAX_VALUE);
            return parser.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFormatException(where + ": not a valid serialized protobuf message: " + e.getMessage(), e);
        }
    }
}
