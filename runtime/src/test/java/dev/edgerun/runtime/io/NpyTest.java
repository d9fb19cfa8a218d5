package dev.edgerun.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NpyTest {

    /** A .npy file as NumPy writes it: magic, version, header length, dict padded to 64 bytes. */
    private static byte[] npy(int major, String descr, String fortran, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
        int prefix = major == 1 ? 10 : 12;
        int total = (prefix + dict.length() + 1 + 63) / 64 * 64;
        String header = dict + " ".repeat(total - prefix - dict.length() - 1) + "\n";
        ByteBuffer b = ByteBuffer.allocate(total + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) b.putShort((short) header.length());
        else b.putInt(header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    private static Tensor read(byte[] file) {
        return Npy.read(new ByteArrayInputStream(file), "test.npy");
    }

    @Test
    void readsVersion1FloatMatrix() {
        ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) data.putFloat(i + 0.5f);
        try (Tensor t = read(npy(1, "<f4", "False", "(2, 3)", data.array()))) {
            assertEquals(DType.FLOAT, t.dtype());
            assertEquals(Shape.of(2, 3), t.shape());
            assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f}, t.toFloatArray());
        }
    }

    /** A file written by NumPy itself (the shared digits data set), when the shared data is present. */
    @Test
    void readsAFileWrittenByNumpy() {
        String shared = System.getProperty("EDGERUN_SHARED", System.getenv("EDGERUN_SHARED"));
        Path images = Path.of(shared == null ? "../shared" : shared, "testdata/datasets/sklearn-digits/images_8x8_uint8.npy");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(images), images + " absent: skipping");
        try (Tensor t = Npy.read(images)) {
            assertEquals(DType.UINT8, t.dtype());
            assertEquals(Shape.of(1797, 8, 8), t.shape());
            long max = 0;
            for (long i = 0; i < t.elementCount(); i++) max = Math.max(max, t.getAsLong(i));
            assertEquals(16, max, "digit pixels range over 0..16");
        }
    }

    @Test
    void readsVersion2And3Headers() {
        byte[] data = {1, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1};
        for (int major : new int[] {2, 3}) {
            try (Tensor t = read(npy(major, "<i8", "False", "(2,)", data))) {
                assertArrayEquals(new long[] {1, -1}, t.toLongArray());
            }
        }
    }

    @Test
    void readsScalarsAndBools() {
        try (Tensor t = read(npy(1, "|b1", "False", "()", new byte[] {1}))) {
            assertEquals(Shape.SCALAR, t.shape());
            assertArrayEquals(new boolean[] {true}, t.toBooleanArray());
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"FLOAT", "DOUBLE", "FLOAT16", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32",
            "UINT64", "BOOL"})
    void roundTripsEveryType(DType dtype, @TempDir Path dir) {
        byte[] raw = new byte[(int) dtype.storageBytes(12)];
        for (int i = 0; i < raw.length; i++) raw[i] = (byte) (dtype == DType.BOOL ? i % 2 : i * 31 + 7);
        try (Tensor t = Tensor.fromBytes(dtype, Shape.of(3, 4), raw)) {
            Path f = dir.resolve(dtype + ".npy");
            Npy.write(t, f);
            try (Tensor back = Npy.read(f)) {
                assertEquals(dtype, back.dtype());
                assertEquals(Shape.of(3, 4), back.shape());
                assertArrayEquals(raw, back.toByteArray());
            }
        }
    }

    @Test
    void writtenHeaderIsWhatNumpyExpects() throws Exception {
        try (Tensor t = Tensor.of(new float[] {1, 2, 3}, 3)) {
            byte[] bytes = Npy.toBytes(t);
            assertEquals(0, (bytes.length - 12) % 64, "header padded to a multiple of 64");
            String header = new String(bytes, 10, bytes.length - 12 - 10, StandardCharsets.ISO_8859_1);
            assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"), header);
            assertTrue(header.endsWith("\n"));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Npy.write(t, out);
            assertArrayEquals(bytes, out.toByteArray());
        }
    }

    @Test
    void refusesFortranOrderBigEndianAndUnknownTypes() {
        var e = assertThrows(ModelFormatException.class, () -> read(npy(1, "<f4", "True", "(2, 2)", new byte[16])));
        assertTrue(e.getMessage().contains("Fortran-order"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> read(npy(1, ">f4", "False", "(1,)", new byte[4])));
        assertTrue(e.getMessage().contains("big-endian"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> read(npy(1, "<U5", "False", "(1,)", new byte[20])));
        assertTrue(e.getMessage().contains("unsupported .npy dtype '<U5'"), e.getMessage());
    }

    @Test
    void refusesTruncatedDataAndBadMagic(@TempDir Path dir) throws Exception {
        var e = assertThrows(ModelFormatException.class, () -> read(npy(1, "<f4", "False", "(4,)", new byte[10])));
        assertTrue(e.getMessage().contains("ends after 10 of 16 bytes"), e.getMessage());
        Path f = dir.resolve("bad.npy");
        Files.write(f, "not numpy at all".getBytes(StandardCharsets.US_ASCII));
        e = assertThrows(ModelFormatException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains("bad.npy") && e.getMessage().contains("bad magic"), e.getMessage());
    }
}
