package dev.edgerun.onnx;

import dev.edgerun.onnx.proto.Onnx.TensorProto;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns one {@link TensorProto} into a {@link Tensor}, whatever field holds its elements
 * ({@code raw_data}, a typed {@code *_data} field, or external data). Every size is checked
 * against the data actually present before memory is allocated, so a hostile {@code dims} field
 * cannot make the reader allocate more than the file holds.
 *
 * <p>{@code where} in every method is the prefix of error messages, e.g.
 * {@code "model.onnx: initializer 'conv1.weight'"}.
 */
final class TensorDecoder {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;

    /** Element type, shape and storage size of a tensor proto, validated. */
    record Layout(DType dtype, Shape shape, long count, long bytes) {
        String describe() {
            return dtype.onnxName() + shape;
        }
    }

    private TensorDecoder() {}

    /** Validates data type and dims; says what is wrong and where. */
    static Layout layout(TensorProto p, String where) {
        DType dtype = dataType(p.getDataType(), where);
        long[] dims = new long[p.getDimsCount()];
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            dims[i] = p.getDims(i);
            if (dims[i] < 0) {
                throw new ModelFormatException(where + ": negative dimension " + dims[i] + " in dims "
                        + p.getDimsList());
            }
            try {
                count = Math.multiplyExact(count, dims[i]);
            } catch (ArithmeticException e) {
                throw new ModelFormatException(where + ": dims " + p.getDimsList() + " overflow a 64-bit element count");
            }
        }
        if (count > Long.MAX_VALUE / 16) {
            throw new ModelFormatException(where + ": dims " + p.getDimsList() + " describe " + count
                    + " elements, more than any file can hold");
        }
        if (p.hasSegment()) {
            throw new ModelFormatException(where + ": segmented tensors (TensorProto.segment) are not supported");
        }
        return new Layout(dtype, Shape.of(dims), count, dtype.storageBytes(count));
    }

    /** The DType of an ONNX data type code, or an error naming {@code where}. */
    static DType dataType(int code, String where) {
        DType dtype;
        try {
            dtype = DType.fromOnnx(code);
        } catch (ModelFormatException e) {
            throw new ModelFormatException(where + ": unknown data_type " + code + "; known: "
                    + Arrays.toString(DType.values()), e);
        }
        if (dtype == DType.UNDEFINED) throw new ModelFormatException(where + ": data_type is UNDEFINED (0)");
        return dtype;
    }

    static boolean isExternal(TensorProto p) {
        return p.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
    }

    /**
     * Decodes an inline (non-external) tensor. With {@code arena} null the tensor owns its memory;
     * otherwise its memory is allocated from {@code arena} (64-byte aligned) and borrowed.
     */
    static Tensor decodeInline(TensorProto p, Layout l, Arena arena, String where) {
        if (l.dtype() == DType.STRING) return Tensor.ofStrings(strings(p, l, where), l.shape().dims());
        checkInlineData(p, l, where);
        if (arena == null) {
            Tensor t = Tensor.allocate(l.dtype(), l.shape());
            fill(p, l, t.data());
            return t;
        }
        MemorySegment seg = arena.allocate(Math.max(l.bytes(), 1), Tensor.ALIGNMENT).asSlice(0, l.bytes());
        fill(p, l, seg);
        return Tensor.wrap(l.dtype(), l.shape(), seg);
    }

    private static String[] strings(TensorProto p, Layout l, String where) {
        if (!p.getRawData().isEmpty()) {
            throw new ModelFormatException(where + ": a string tensor must use string_data, not raw_data");
        }
        if (p.getStringDataCount() != l.count()) {
            throw new ModelFormatException(where + ": string_data holds " + p.getStringDataCount()
                    + " strings, " + l.describe() + " needs " + l.count());
        }
        String[] s = new String[p.getStringDataCount()];
        for (int i = 0; i < s.length; i++) s[i] = p.getStringData(i).toString(StandardCharsets.UTF_8);
        return s;
    }

    /** Which field holds the elements, and whether it holds the right amount. */
    private static void checkInlineData(TensorProto p, Layout l, String where) {
        if (!p.getRawData().isEmpty() || typedCount(p) == 0) {
            long have = p.getRawData().size();
            if (have != l.bytes()) {
                String field = have == 0 ? "no data (raw_data and the typed fields are empty)"
                        : "raw_data of " + have + " bytes";
                throw new ModelFormatException(where + ": " + field + ", but " + l.describe() + " needs "
                        + l.bytes() + " bytes");
            }
            return;
        }
        Field f = Field.of(l.dtype());
        long have = f.count(p);
        long need = f.valuesNeeded(l);
        long unpacked = l.count();
        boolean packedType = f.elementsPerValue(l.dtype()) > 1;
        if (have != need && !(packedType && have == unpacked)) {
            throw new ModelFormatException(where + ": " + f.protoName + " holds " + have + " values, "
                    + l.describe() + " needs " + need + (f == Field.NONE ? " (no typed field exists for "
                    + l.dtype().onnxName() + "; use raw_data)" : ""));
        }
        long others = typedCount(p) - have;
        if (others != 0) {
            throw new ModelFormatException(where + ": data in a typed field other than " + f.protoName
                    + ", which " + l.dtype().onnxName() + " uses");
        }
    }

    private static long typedCount(TensorProto p) {
        return (long) p.getFloatDataCount() + p.getInt32DataCount() + p.getInt64DataCount()
                + p.getDoubleDataCount() + p.getUint64DataCount() + p.getStringDataCount();
    }

    /** Copies the checked elements into {@code dst}, little-endian. */
    private static void fill(TensorProto p, Layout l, MemorySegment dst) {
        if (!p.getRawData().isEmpty() || l.bytes() == 0) {
            dst.copyFrom(MemorySegment.ofBuffer(p.getRawData().asReadOnlyByteBuffer()));
            return;
        }
        DType t = l.dtype();
        switch (Field.of(t)) {
            case FLOAT -> {
                for (int i = 0; i < p.getFloatDataCount(); i++) dst.setAtIndex(F32, i, p.getFloatData(i));
            }
            case DOUBLE -> {
                for (int i = 0; i < p.getDoubleDataCount(); i++) dst.setAtIndex(F64, i, p.getDoubleData(i));
            }
            case INT64 -> {
                for (int i = 0; i < p.getInt64DataCount(); i++) dst.setAtIndex(I64, i, p.getInt64Data(i));
            }
            case UINT64 -> {
                for (int i = 0; i < p.getUint64DataCount(); i++) {
                    if (t == DType.UINT32) dst.setAtIndex(I32, i, (int) p.getUint64Data(i));
                    else dst.setAtIndex(I64, i, p.getUint64Data(i));
                }
            }
            case INT32 -> fillFromInt32(p, l, dst);
            case NONE -> throw new IllegalStateException("checked before: " + t);
        }
    }

    private static void fillFromInt32(TensorProto p, Layout l, MemorySegment dst) {
        DType t = l.dtype();
        int n = p.getInt32DataCount();
        int perValue = Field.INT32.elementsPerValue(t);
        if (perValue > 1 && n == l.count() && n != Field.INT32.valuesNeeded(l)) {
            packUnpacked(p, t, dst); // a writer that stored one sub-byte element per int32
            return;
        }
        switch (t.byteSize()) {
            case 4 -> { for (int i = 0; i < n; i++) dst.setAtIndex(I32, i, p.getInt32Data(i)); }
            case 2 -> { for (int i = 0; i < n; i++) dst.setAtIndex(I16, i, (short) p.getInt32Data(i)); }
            default -> {
                for (int i = 0; i < n; i++) {
                    int v = p.getInt32Data(i);
                    dst.set(I8, i, t == DType.BOOL ? (byte) (v != 0 ? 1 : 0) : (byte) v);
                }
            }
        }
    }

    private static void packUnpacked(TensorProto p, DType t, MemorySegment dst) {
        int bits = t == DType.INT2 || t == DType.UINT2 ? 2 : 4;
        int perByte = 8 / bits;
        int mask = (1 << bits) - 1;
        dst.fill((byte) 0);
        for (int i = 0; i < p.getInt32DataCount(); i++) {
            long at = i / perByte;
            int shift = (i % perByte) * bits;
            byte old = dst.get(I8, at);
            dst.set(I8, at, (byte) (old | ((p.getInt32Data(i) & mask) << shift)));
        }
    }

    /** The typed {@code *_data} field each dtype uses when raw_data is absent. */
    enum Field {
        FLOAT("float_data"), DOUBLE("double_data"), INT32("int32_data"), INT64("int64_data"),
        UINT64("uint64_data"), NONE("no typed field");

        final String protoName;

        Field(String protoName) {
            this.protoName = protoName;
        }

        static Field of(DType t) {
            return switch (t) {
                case FLOAT, COMPLEX64 -> FLOAT;
                case DOUBLE, COMPLEX128 -> DOUBLE;
                case INT64 -> INT64;
                case UINT32, UINT64 -> UINT64;
                case INT32, INT16, UINT16, INT8, UINT8, BOOL, FLOAT16, BFLOAT16, FLOAT8E4M3FN, FLOAT8E4M3FNUZ,
                     FLOAT8E5M2, FLOAT8E5M2FNUZ, FLOAT8E8M0, INT4, UINT4, FLOAT4E2M1, INT2, UINT2 -> INT32;
                default -> NONE;
            };
        }

        long count(TensorProto p) {
            return switch (this) {
                case FLOAT -> p.getFloatDataCount();
                case DOUBLE -> p.getDoubleDataCount();
                case INT32 -> p.getInt32DataCount();
                case INT64 -> p.getInt64DataCount();
                case UINT64 -> p.getUint64DataCount();
                case NONE -> 0;
            };
        }

        /** Elements packed in one value of this field: 2 for 4-bit types, 4 for 2-bit types. */
        int elementsPerValue(DType t) {
            return switch (t) {
                case INT4, UINT4, FLOAT4E2M1 -> 2;
                case INT2, UINT2 -> 4;
                default -> 1;
            };
        }

        long valuesNeeded(Layout l) {
            DType t = l.dtype();
            if (t == DType.COMPLEX64 || t == DType.COMPLEX128) return 2 * l.count();
            int per = elementsPerValue(t);
            return (l.count() + per - 1) / per;
        }
    }
}
