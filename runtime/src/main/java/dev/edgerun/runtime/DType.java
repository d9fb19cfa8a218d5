package dev.edgerun.runtime;

import java.util.Arrays;

/**
 * Tensor element types, numbered as in ONNX's {@code TensorProto.DataType}.
 *
 * <p>{@link #byteSize()} is the storage width of one element; sub-byte types (INT4, UINT4,
 * FLOAT4E2M1) report 0 and are stored packed, two per byte. STRING tensors keep their elements on
 * the Java heap (see {@link Tensor#ofStrings}); every other type lives off-heap.
 */
public enum DType {
    UNDEFINED(0, 0),
    FLOAT(1, 4),
    UINT8(2, 1),
    INT8(3, 1),
    UINT16(4, 2),
    INT16(5, 2),
    INT32(6, 4),
    INT64(7, 8),
    STRING(8, 0),
    BOOL(9, 1),
    FLOAT16(10, 2),
    DOUBLE(11, 8),
    UINT32(12, 4),
    UINT64(13, 8),
    COMPLEX64(14, 8),
    COMPLEX128(15, 16),
    BFLOAT16(16, 2),
    FLOAT8E4M3FN(17, 1),
    FLOAT8E4M3FNUZ(18, 1),
    FLOAT8E5M2(19, 1),
    FLOAT8E5M2FNUZ(20, 1),
    UINT4(21, 0),
    INT4(22, 0),
    FLOAT4E2M1(23, 0),
    FLOAT8E8M0(24, 1),
    UINT2(25, 0),
    INT2(26, 0);

    private static final DType[] BY_CODE = new DType[32];

    static {
        for (DType t : values()) BY_CODE[t.onnxCode] = t;
    }

    private final int onnxCode;
    private final int byteSize;

    DType(int onnxCode, int byteSize) {
        this.onnxCode = onnxCode;
        this.byteSize = byteSize;
    }

    /** The ONNX {@code TensorProto.DataType} number. */
    public int onnxCode() {
        return onnxCode;
    }

    /** Bytes per element; 0 for STRING and for packed sub-byte types. */
    public int byteSize() {
        return byteSize;
    }

    /** Bytes needed to store {@code count} elements (sub-byte types round up to whole bytes). */
    public long storageBytes(long count) {
        return switch (this) {
            case INT4, UINT4, FLOAT4E2M1 -> (count + 1) / 2;
            case INT2, UINT2 -> (count + 3) / 4;
            case STRING -> 0;
            default -> count * byteSize;
        };
    }

    public boolean isFloatingPoint() {
        return switch (this) {
            case FLOAT, DOUBLE, FLOAT16, BFLOAT16,
                 FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, FLOAT4E2M1, FLOAT8E8M0 -> true;
            default -> false;
        };
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, INT32, INT64, UINT32, UINT64, UINT4, INT4, UINT2, INT2 -> true;
            default -> false;
        };
    }

    public boolean isUnsigned() {
        return switch (this) {
            case UINT8, UINT16, UINT32, UINT64, UINT4, UINT2 -> true;
            default -> false;
        };
    }

    /** The type with the given ONNX code, or a {@link ModelFormatException} naming the code. */
    public static DType fromOnnx(int code) {
        DType t = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        if (t == null) {
            throw new ModelFormatException("unknown tensor element type " + code + "; known: "
                    + Arrays.toString(values()));
        }
        return t;
    }

    /** Lower-case ONNX-style name, e.g. {@code float}, {@code int64}. */
    public String onnxName() {
        return name().toLowerCase();
    }
}
