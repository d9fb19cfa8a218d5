package dev.edgerun.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.edgerun.onnx.proto.Onnx.TensorProto;
import dev.edgerun.onnx.proto.OnnxData.OptionalProto;
import dev.edgerun.onnx.proto.OnnxData.SequenceProto;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every TensorProto storage form, built in code, read into the expected little-endian bytes. */
class TensorProtosTest {

    private static TensorProto.Builder proto(DType t, long... dims) {
        TensorProto.Builder b = TensorProto.newBuilder().setDataType(t.onnxCode()).setName("x");
        for (long d : dims) b.addDims(d);
        return b;
    }

    private static byte[] le(int width, long... values) {
        ByteBuffer b = ByteBuffer.allocate(width * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (width) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    private static void assertBytes(TensorProto p, DType dtype, long[] dims, byte[] expected) {
        try (Tensor t = TensorProtos.fromProto(p)) {
            assertEquals(dtype, t.dtype());
            assertEquals(Shape.of(dims), t.shape());
            assertArrayEquals(expected, t.toByteArray(), dtype + " bytes");
            assertEquals(0, t.data().address() % Tensor.ALIGNMENT, "64-byte aligned");
        }
    }

    @Test
    void floatData() {
        TensorProto p = proto(DType.FLOAT, 2, 2).addFloatData(1.5f).addFloatData(-2f).addFloatData(0f).addFloatData(3.25f).build();
        try (Tensor t = TensorProtos.fromProto(p)) {
            assertArrayEquals(new float[] {1.5f, -2f, 0f, 3.25f}, t.toFloatArray());
        }
    }

    @Test
    void complex64UsesTwoFloatsPerElement() {
        TensorProto p = proto(DType.COMPLEX64, 2).addFloatData(1).addFloatData(2).addFloatData(3).addFloatData(4).build();
        ByteBuffer expected = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3).putFloat(4);
        assertBytes(p, DType.COMPLEX64, new long[] {2}, expected.array());
    }

    @Test
    void doubleAndComplex128Data() {
        TensorProto p = proto(DType.DOUBLE, 3).addDoubleData(1.0).addDoubleData(-0.5).addDoubleData(1e300).build();
        try (Tensor t = TensorProtos.fromProto(p)) {
            assertArrayEquals(new double[] {1.0, -0.5, 1e300}, t.toDoubleArray());
        }
        TensorProto c = proto(DType.COMPLEX128, 1).addDoubleData(7).addDoubleData(8).build();
        ByteBuffer expected = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(7).putDouble(8);
        assertBytes(c, DType.COMPLEX128, new long[] {1}, expected.array());
    }

    @Test
    void int64Data() {
        TensorProto p = proto(DType.INT64, 3).addInt64Data(Long.MIN_VALUE).addInt64Data(0).addInt64Data(42).build();
        try (Tensor t = TensorProtos.fromProto(p)) {
            assertArrayEquals(new long[] {Long.MIN_VALUE, 0, 42}, t.toLongArray());
        }
    }

    @Test
    void uint64DataHoldsUint32AndUint64() {
        TensorProto u32 = proto(DType.UINT32, 2).addUint64Data(4_000_000_000L).addUint64Data(1).build();
        assertBytes(u32, DType.UINT32, new long[] {2}, le(4, 4_000_000_000L, 1));
        TensorProto u64 = proto(DType.UINT64, 2).addUint64Data(-1L).addUint64Data(5).build();
        assertBytes(u64, DType.UINT64, new long[] {2}, le(8, -1L, 5));
    }

    /** int32_data carries every type of 8 or 16 bits, and int32 itself, one element per value. */
    @ParameterizedTest
    @EnumSource(names = {"INT32", "INT16", "UINT16", "INT8", "UINT8", "FLOAT16", "BFLOAT16", "FLOAT8E4M3FN",
            "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "FLOAT8E8M0"})
    void int32DataOneElementPerValue(DType dtype) {
        long[] values = switch (dtype.byteSize()) {
            case 4 -> new long[] {-7, 100000, 0};
            case 2 -> new long[] {0x3C00, 0xFFFF, 0x0001}; // bit patterns, e.g. float16 1.0
            default -> new long[] {0x7F, 0x80, 0x01};
        };
        TensorProto.Builder b = proto(dtype, 3);
        for (long v : values) b.addInt32Data((int) v);
        assertBytes(b.build(), dtype, new long[] {3}, le(dtype.byteSize(), values));
    }

    @Test
    void boolFromInt32DataNormalizesToZeroOrOne() {
        TensorProto p = proto(DType.BOOL, 3).addInt32Data(1).addInt32Data(0).addInt32Data(5).build();
        try (Tensor t = TensorProtos.fromProto(p)) {
            assertArrayEquals(new boolean[] {true, false, true}, t.toBooleanArray());
            assertArrayEquals(new byte[] {1, 0, 1}, t.toByteArray());
        }
    }

    /** 4-bit types: two elements per int32 value, first in the low nibble; odd counts round up. */
    @ParameterizedTest
    @EnumSource(names = {"INT4", "UINT4", "FLOAT4E2M1"})
    void fourBitTypesArePackedTwoPerValue(DType dtype) {
        TensorProto p = proto(dtype, 3).addInt32Data(0x21).addInt32Data(0x03).build();
        assertBytes(p, dtype, new long[] {3}, new byte[] {0x21, 0x03});
    }

    @Test
    void fourBitTypesWrittenOnePerValueArePacked() {
        TensorProto p = proto(DType.INT4, 4).addInt32Data(1).addInt32Data(2).addInt32Data(-1).addInt32Data(3).build();
        assertBytes(p, DType.INT4, new long[] {4}, new byte[] {0x21, 0x3F});
    }

    @ParameterizedTest
    @EnumSource(names = {"INT2", "UINT2"})
    void twoBitTypesArePackedFourPerValue(DType dtype) {
        TensorProto p = proto(dtype, 5).addInt32Data(0b11_10_01_00).addInt32Data(0b01).build();
        assertBytes(p, dtype, new long[] {5}, new byte[] {(byte) 0b11_10_01_00, 0b01});
    }

    /** raw_data for every fixed-width type: the bytes as given. */
    @ParameterizedTest
    @EnumSource(mode = EnumSource.Mode.EXCLUDE, names = {"UNDEFINED", "STRING"})
    void rawDataForEveryType(DType dtype) {
        long count = 6;
        byte[] raw = new byte[(int) dtype.storageBytes(count)];
        for (int i = 0; i < raw.length; i++) raw[i] = (byte) (i * 37 + 11);
        TensorProto p = proto(dtype, 2, 3).setRawData(ByteString.copyFrom(raw)).build();
        assertBytes(p, dtype, new long[] {2, 3}, raw);
        // and back: toProto writes raw_data that decodes to the same bytes
        try (Tensor t = TensorProtos.fromProto(p)) {
            TensorProto again = TensorProtos.toProto("y", t);
            assertEquals("y", again.getName());
            assertArrayEquals(raw, again.getRawData().toByteArray());
            assertEquals(List.of(2L, 3L), again.getDimsList());
        }
    }

    @Test
    void stringData() {
        TensorProto p = proto(DType.STRING, 3).addStringData(ByteString.copyFromUtf8("a"))
                .addStringData(ByteString.copyFromUtf8("")).addStringData(ByteString.copyFrom("ünï", StandardCharsets.UTF_8)).build();
        try (Tensor t = TensorProtos.fromProto(p)) {
            assertArrayEquals(new String[] {"a", "", "ünï"}, t.toStringArray());
            assertEquals(p.getStringDataList(), TensorProtos.toProto("x", t).getStringDataList());
        }
    }

    @Test
    void scalarAndEmptyTensors() {
        try (Tensor s = TensorProtos.fromProto(proto(DType.INT64).addInt64Data(9).build());
             Tensor e = TensorProtos.fromProto(proto(DType.FLOAT, 0, 4).build())) {
            assertEquals(Shape.SCALAR, s.shape());
            assertEquals(9, s.getLong(0));
            assertEquals(0, e.elementCount());
        }
    }

    @Test
    void wrongAmountsOfDataAreNamed() {
        var e = assertThrows(ModelFormatException.class,
                () -> TensorProtos.fromProto(proto(DType.FLOAT, 2, 3).setRawData(ByteString.copyFrom(new byte[20])).build()));
        assertTrue(e.getMessage().contains("raw_data of 20 bytes") && e.getMessage().contains("needs 24 bytes"), e.getMessage());
        e = assertThrows(ModelFormatException.class,
                () -> TensorProtos.fromProto(proto(DType.INT64, 4).addInt64Data(1).build()));
        assertTrue(e.getMessage().contains("int64_data holds 1 values") && e.getMessage().contains("needs 4"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> TensorProtos.fromProto(proto(DType.FLOAT, 3).build()));
        assertTrue(e.getMessage().contains("no data"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> TensorProtos.fromProto(proto(DType.FLOAT, 2, -3).build()));
        assertTrue(e.getMessage().contains("negative dimension -3"), e.getMessage());
        e = assertThrows(ModelFormatException.class,
                () -> TensorProtos.fromProto(TensorProto.newBuilder().setName("w").setDataType(99).addDims(1).build()));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("unknown data_type 99"), e.getMessage());
    }

    @Test
    void hugeDimsWithLittleDataFailWithoutAllocating() {
        TensorProto p = proto(DType.FLOAT, 1L << 20, 1L << 20, 1L << 10).setRawData(ByteString.copyFrom(new byte[8])).build();
        var e = assertThrows(ModelFormatException.class, () -> TensorProtos.fromProto(p));
        assertTrue(e.getMessage().contains("raw_data of 8 bytes"), e.getMessage());
        TensorProto overflow = proto(DType.FLOAT, 1L << 40, 1L << 40).build();
        e = assertThrows(ModelFormatException.class, () -> TensorProtos.fromProto(overflow));
        assertTrue(e.getMessage().contains("overflow"), e.getMessage());
    }

    @Test
    void readsFilesAndSequenceAndOptionalValues(@TempDir Path dir) throws Exception {
        TensorProto a = proto(DType.INT32, 2).addInt32Data(1).addInt32Data(2).build();
        TensorProto b = proto(DType.INT32, 1).addInt32Data(3).build();
        Files.write(dir.resolve("t.pb"), a.toByteArray());
        try (Tensor t = TensorProtos.read(dir.resolve("t.pb"))) {
            assertArrayEquals(new int[] {1, 2}, t.toIntArray());
        }
        SequenceProto seq = SequenceProto.newBuilder().setName("s").setElemType(1).addTensorValues(a).addTensorValues(b).build();
        Files.write(dir.resolve("s.pb"), seq.toByteArray());
        Object v = TensorProtos.readValue(dir.resolve("s.pb"), new ValueType.SequenceType(ValueType.tensor(DType.INT32, null)));
        assertTrue(v instanceof List<?> l && l.size() == 2 && ((Tensor) l.get(1)).toIntArray()[0] == 3, String.valueOf(v));
        TensorProtos.closeValue(v);
        Files.write(dir.resolve("o.pb"), OptionalProto.newBuilder().setName("o").setElemType(0).build().toByteArray());
        assertEquals(null, TensorProtos.readValue(dir.resolve("o.pb"), new ValueType.OptionalType(ValueType.tensor(DType.FLOAT, null))));
        Files.write(dir.resolve("o2.pb"), OptionalProto.newBuilder().setElemType(1).setTensorValue(b).build().toByteArray());
        try (Tensor t = (Tensor) TensorProtos.readValue(dir.resolve("o2.pb"), new ValueType.OptionalType(new ValueType.Unknown()))) {
            assertArrayEquals(new int[] {3}, t.toIntArray());
        }
    }

    @Test
    void truncatedOrRandomTensorFilesAreFormatErrors(@TempDir Path dir) throws Exception {
        byte[] full = proto(DType.FLOAT, 4).setRawData(ByteString.copyFrom(new byte[16])).build().toByteArray();
        Files.write(dir.resolve("cut.pb"), java.util.Arrays.copyOf(full, full.length - 5));
        var e = assertThrows(ModelFormatException.class, () -> TensorProtos.read(dir.resolve("cut.pb")));
        assertTrue(e.getMessage().contains("cut.pb"), e.getMessage());
    }
}
