package dev.edgerun.devices;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.InvalidInputException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Conversions between Edgerun {@link Tensor}s and ONNX Runtime {@link OnnxTensor}s.
 *
 * <p>Off-heap tensors are handed over without copying: ONNX Runtime's Java API uses a
 * <em>direct</em> buffer in place, and {@code MemorySegment.asByteBuffer()} of native memory is
 * direct. Results are copied into tensors Edgerun owns (or written straight into them when the
 * session pins its outputs), so no ONNX Runtime memory outlives a run.
 */
final class OrtTensors {
    private OrtTensors() {}

    /**
     * The element types ONNX Runtime's Java API can create tensors of. Unsigned 16/32/64-bit,
     * complex and 8-bit float types can be read from results but not created.
     */
    static final Set<DType> CREATABLE = EnumSet.of(DType.FLOAT, DType.DOUBLE, DType.INT64, DType.INT32,
            DType.INT16, DType.INT8, DType.UINT8, DType.BOOL, DType.FLOAT16, DType.BFLOAT16, DType.STRING);

    /** An ONNX Runtime tensor over {@code t}'s memory (a copy only for strings and heap memory). */
    static OnnxTensor toOrt(OrtEnvironment env, String name, Tensor t) throws OrtException {
        long[] dims = t.shape().dims();
        if (t.dtype() == DType.STRING) return OnnxTensor.createTensor(env, t.toStringArray(), dims);
        ByteBuffer bytes = t.data().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        return switch (t.dtype()) {
            case FLOAT -> OnnxTensor.createTensor(env, bytes.asFloatBuffer(), dims);
            case DOUBLE -> OnnxTensor.createTensor(env, bytes.asDoubleBuffer(), dims);
            case INT64 -> OnnxTensor.createTensor(env, bytes.asLongBuffer(), dims);
            case INT32 -> OnnxTensor.createTensor(env, bytes.asIntBuffer(), dims);
            case INT16 -> OnnxTensor.createTensor(env, bytes.asShortBuffer(), dims);
            case INT8 -> OnnxTensor.createTensor(env, bytes, dims, OnnxJavaType.INT8);
            case UINT8 -> OnnxTensor.createTensor(env, bytes, dims, OnnxJavaType.UINT8);
            case BOOL -> OnnxTensor.createTensor(env, bytes, dims, OnnxJavaType.BOOL);
            case FLOAT16 -> OnnxTensor.createTensor(env, bytes.asShortBuffer(), dims, OnnxJavaType.FLOAT16);
            case BFLOAT16 -> OnnxTensor.createTensor(env, bytes.asShortBuffer(), dims, OnnxJavaType.BFLOAT16);
            default -> throw new InvalidInputException("input '" + name + "' is " + t.dtype().onnxName()
                    + ": ONNX Runtime's Java API cannot create " + t.dtype().onnxName()
                    + " tensors; it accepts " + names(CREATABLE) + " (the native engine takes every type)");
        };
    }

    private static final String ORT_TYPE_PREFIX = "ONNX_TENSOR_ELEMENT_DATA_TYPE_";

    /**
     * The Edgerun dtype of an ONNX Runtime tensor type. ONNX Runtime numbers its element types
     * differently from ONNX's TensorProto, but names them alike: {@code ..._FLOAT16} is FLOAT16.
     */
    static DType dtypeOf(TensorInfo info) {
        String name = info.onnxType.name();
        try {
            return DType.valueOf(name.substring(ORT_TYPE_PREFIX.length()));
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new EdgerunException("ONNX Runtime element type " + name + " has no Edgerun dtype");
        }
    }

    /** A new owned tensor holding a copy of ONNX Runtime output {@code name}. */
    static Tensor copyOf(String name, OnnxValue value) throws OrtException {
        if (!(value instanceof OnnxTensor ort)) {
            throw new EdgerunException("output '" + name + "' is a " + value.getType()
                    + "; Edgerun results hold tensors only");
        }
        TensorInfo info = ort.getInfo();
        DType dtype = dtypeOf(info);
        long[] dims = info.getShape();
        if (dtype == DType.STRING) return Tensor.ofStrings(flattenStrings(ort.getValue()), dims);
        // getByteBuffer() copies ONNX Runtime's memory onto the heap; fromByteBuffer copies it off-heap.
        return Tensor.fromByteBuffer(dtype, Shape.of(dims), ort.getByteBuffer());
    }

    /** ONNX Runtime returns string tensors as nested Java arrays (or one String for a scalar). */
    private static String[] flattenStrings(Object value) {
        List<String> out = new ArrayList<>();
        flatten(value, out);
        return out.toArray(String[]::new);
    }

    private static void flatten(Object value, List<String> out) {
        if (value instanceof String s) {
            out.add(s);
            return;
        }
        for (int i = 0; i < Array.getLength(value); i++) flatten(Array.get(value, i), out);
    }

    static String names(Set<DType> types) {
        List<String> r = new ArrayList<>();
        for (DType t : types) r.add(t.onnxName());
        return String.join(", ", r);
    }
}
