package dev.edgerun.runtime.io;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files ⇄ {@link Tensor}: format versions 1.0, 2.0 and 3.0, C order,
 * little-endian (or byte-order-free) element types {@code <f4 <f8 <f2 <i1 <i2 <i4 <i8 |u1 <u2 <u4
 * <u8 |b1}. Fortran-order and big-endian arrays are refused with a message saying so.
 *
 * <pre>{@code
 * try (Tensor x = Npy.read(Path.of("input_0.npy"))) { ... }
 * Npy.write(tensor, Path.of("output_0.npy"));
 * }</pre>
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** Reads a {@code .npy} file into an owned tensor. */
    public static Tensor read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e, e);
        }
    }

    /** Reads one array from a stream; {@code name} labels error messages. */
    public static Tensor read(InputStream in, String name) {
        try {
            Header h = header(in, name);
            Tensor t = Tensor.allocate(h.dtype, h.shape);
            try {
                readFully(in, t, name);
            } catch (RuntimeException | IOException e) {
                t.close();
                throw e;
            }
            return t;
        } catch (IOException e) {
            throw new ModelFormatException(name + ": cannot read: " + e, e);
        }
    }

    /** Writes {@code t} as a version 1.0 {@code .npy} file. */
    public static void write(Tensor t, Path file) {
        try (OutputStream out = Files.newOutputStream(file)) {
            write(t, out);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file + " failed", e);
        }
    }

    /** Writes {@code t} as a version 1.0 (or 2.0 for a very long header) {@code .npy} stream. */
    public static void write(Tensor t, OutputStream out) throws IOException {
        out.write(headerBytes(descr(t.dtype()), t.shape()));
        ByteBuffer data = t.data().asByteBuffer();
        byte[] chunk = new byte[1 << 16];
        while (data.hasRemaining()) {
            int n = Math.min(chunk.length, data.remaining());
            data.get(chunk, 0, n);
            out.write(chunk, 0, n);
        }
    }

    /** The whole file as bytes. */
    public static byte[] toBytes(Tensor t) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            write(t, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------ header

    private record Header(DType dtype, Shape shape) {}

    private static Header header(InputStream in, String name) throws IOException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8) throw new ModelFormatException(name + ": too short for a .npy file");
        for (int i = 0; i < MAGIC.length; i++) {
            if (magic[i] != MAGIC[i]) throw new ModelFormatException(name + ": not a .npy file (bad magic)");
        }
        int major = magic[6];
        int lengthBytes = switch (major) {
            case 1 -> 2;
            case 2, 3 -> 4;
            default -> throw new ModelFormatException(name + ": unsupported .npy format version " + major + "." + magic[7]);
        };
        byte[] len = in.readNBytes(lengthBytes);
        if (len.length < lengthBytes) throw new ModelFormatException(name + ": truncated .npy header");
        long headerLength = lengthBytes == 2
                ? ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF
                : ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
        if (headerLength > 1 << 20) throw new ModelFormatException(name + ": .npy header of " + headerLength + " bytes");
        byte[] text = in.readNBytes((int) headerLength);
        if (text.length < headerLength) throw new ModelFormatException(name + ": truncated .npy header");
        String dict = new String(text, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        return parseDict(dict, name);
    }

    private static Header parseDict(String dict, String name) {
        Matcher d = DESCR.matcher(dict);
        Matcher f = FORTRAN.matcher(dict);
        Matcher s = SHAPE.matcher(dict);
        if (!d.find() || !f.find() || !s.find()) {
            throw new ModelFormatException(name + ": malformed .npy header: " + dict.trim());
        }
        if (f.group(1).equals("True")) {
            throw new ModelFormatException(name + ": Fortran-order (column-major) arrays are not supported;"
                    + " save with numpy.ascontiguousarray first");
        }
        return new Header(dtype(d.group(1), name), shape(s.group(1), name));
    }

    private static DType dtype(String descr, String name) {
        if (descr.startsWith(">") && !descr.endsWith("1")) {
            throw new ModelFormatException(name + ": big-endian dtype '" + descr + "' is not supported;"
                    + " convert with array.astype(array.dtype.newbyteorder('<'))");
        }
        String code = descr.length() > 1 && "<>|=".indexOf(descr.charAt(0)) >= 0 ? descr.substring(1) : descr;
        return switch (code) {
            case "f4" -> DType.FLOAT;
            case "f8" -> DType.DOUBLE;
            case "f2" -> DType.FLOAT16;
            case "i1" -> DType.INT8;
            case "i2" -> DType.INT16;
            case "i4" -> DType.INT32;
            case "i8" -> DType.INT64;
            case "u1" -> DType.UINT8;
            case "u2" -> DType.UINT16;
            case "u4" -> DType.UINT32;
            case "u8" -> DType.UINT64;
            case "b1" -> DType.BOOL;
            default -> throw new ModelFormatException(name + ": unsupported .npy dtype '" + descr
                    + "'; supported: <f4 <f8 <f2 <i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1");
        };
    }

    private static Shape shape(String tuple, String name) {
        List<Long> dims = new ArrayList<>();
        for (String part : tuple.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) continue;
            if (p.endsWith("L")) p = p.substring(0, p.length() - 1); // Python 2 long literals
            try {
                long d = Long.parseLong(p);
                if (d < 0) throw new NumberFormatException();
                dims.add(d);
            } catch (NumberFormatException e) {
                throw new ModelFormatException(name + ": bad .npy shape (" + tuple + ")");
            }
        }
        return Shape.of(dims.stream().mapToLong(Long::longValue).toArray());
    }

    private static void readFully(InputStream in, Tensor t, String name) throws IOException {
        ByteBuffer dst = t.data().asByteBuffer();
        byte[] chunk = new byte[1 << 16];
        while (dst.hasRemaining()) {
            int n = in.read(chunk, 0, Math.min(chunk.length, dst.remaining()));
            if (n < 0) {
                throw new ModelFormatException(name + ": .npy data ends after " + dst.position() + " of "
                        + t.byteSize() + " bytes for " + t.dtype().onnxName() + t.shape());
            }
            dst.put(chunk, 0, n);
        }
    }

    private static String descr(DType t) {
        return switch (t) {
            case FLOAT -> "<f4";
            case DOUBLE -> "<f8";
            case FLOAT16 -> "<f2";
            case INT8 -> "|i1";
            case INT16 -> "<i2";
            case INT32 -> "<i4";
            case INT64 -> "<i8";
            case UINT8 -> "|u1";
            case UINT16 -> "<u2";
            case UINT32 -> "<u4";
            case UINT64 -> "<u8";
            case BOOL -> "|b1";
            default -> throw new IllegalArgumentException(t.onnxName() + " tensors have no .npy form");
        };
    }

    private static byte[] headerBytes(String descr, Shape shape) {
        StringBuilder tuple = new StringBuilder("(");
        for (int i = 0; i < shape.rank(); i++) tuple.append(shape.dim(i)).append(i == 0 && shape.rank() == 1 ? "," : i < shape.rank() - 1 ? ", " : "");
        tuple.append(')');
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple + ", }";
        boolean v1 = dict.length() + 1 + 10 < 65536;
        int prefix = v1 ? 10 : 12;
        int total = (prefix + dict.length() + 1 + 63) / 64 * 64;
        String padded = dict + " ".repeat(total - prefix - dict.length() - 1) + "\n";
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) (v1 ? 1 : 2)).put((byte) 0);
        if (v1) b.putShort((short) padded.length());
        else b.putInt(padded.length());
        b.put(padded.getBytes(StandardCharsets.ISO_8859_1));
        return b.array();
    }
}
