package dev.edgerun.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense tensor: a {@link DType}, a concrete {@link Shape} and its elements in a
 * {@link MemorySegment}, row-major, little-endian (the byte order of ONNX raw data and of every
 * platform Edgerun targets).
 *
 * <p>A tensor either <b>owns</b> its memory (made by {@link #allocate} or the array factories; its
 * {@link #close()} frees it) or <b>borrows</b> memory owned elsewhere (made by {@link #wrap}: a
 * session's arena, a memory-mapped file, a direct {@code ByteBuffer}; its {@code close()} frees
 * nothing). Owned memory is 64-byte aligned. After {@code close()} every accessor throws
 * {@link IllegalStateException}; closing twice is harmless.
 *
 * <p>STRING tensors hold their elements as Java strings (ONNX strings are byte sequences with no
 * fixed width); {@link #data()} is empty for them.
 */
public final class Tensor implements AutoCloseable {
    /** Alignment of owned tensor memory, a cache line and a full AVX-512 vector. */
    public static final long ALIGNMENT = 64;

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;

    private final DType dtype;
    private final Shape shape;
    private final MemorySegment data;
    private final Arena arena;      // non-null when this tensor owns its memory
    private final String[] strings; // STRING tensors only
    private volatile boolean closed;

    private Tensor(DType dtype, Shape shape, MemorySegment data, Arena arena, String[] strings) {
        if (!shape.isConcrete()) throw new IllegalArgumentException("tensor shape must be concrete: " + shape);
        this.dtype = Objects.requireNonNull(dtype);
        this.shape = shape;
        this.data = data;
        this.arena = arena;
        this.strings = strings;
    }

    // ---------------------------------------------------------------- factories

    /** A zero-filled tensor that owns 64-byte aligned off-heap memory. */
    public static Tensor allocate(DType dtype, Shape shape) {
        if (dtype == DType.STRING) {
            String[] s = new String[Math.toIntExact(shape.elementCount())];
            Arrays.fill(s, "");
            return new Tensor(dtype, shape, MemorySegment.NULL, null, s);
        }
        long bytes = dtype.storageBytes(shape.elementCount());
        Arena arena = Arena.ofShared();
        MemorySegment seg = arena.allocate(Math.max(bytes, 1), ALIGNMENT).asSlice(0, bytes);
        return new Tensor(dtype, shape, seg, arena, null);
    }

    public static Tensor allocate(DType dtype, long... dims) {
        return allocate(dtype, Shape.of(dims));
    }

    /**
     * A tensor borrowing {@code data}, which must hold exactly the bytes of {@code shape}; the
     * caller keeps the memory alive for as long as the tensor is used.
     */
    public static Tensor wrap(DType dtype, Shape shape, MemorySegment data) {
        long need = dtype.storageBytes(shape.elementCount());
        if (data.byteSize() != need) {
            throw new IllegalArgumentException(dtype.onnxName() + shape + " needs " + need
                    + " bytes, segment has " + data.byteSize());
        }
        return new Tensor(dtype, shape, data, null, null);
    }

    /**
     * A tensor over a buffer's remaining bytes: a direct buffer is borrowed without copying (keep
     * it reachable), a heap buffer is copied into owned memory.
     */
    public static Tensor fromByteBuffer(DType dtype, Shape shape, ByteBuffer buffer) {
        MemorySegment src = MemorySegment.ofBuffer(buffer);
        if (buffer.isDirect()) return wrap(dtype, shape, src);
        Tensor t = allocate(dtype, shape);
        if (src.byteSize() != t.data.byteSize()) {
            t.close();
            throw new IllegalArgumentException(dtype.onnxName() + shape + " needs " + t.data.byteSize()
                    + " bytes, buffer has " + src.byteSize());
        }
        t.data.copyFrom(src);
        return t;
    }

    /** A tensor owning a copy of {@code bytes}, which hold the raw little-endian elements. */
    public static Tensor fromBytes(DType dtype, Shape shape, byte[] bytes) {
        return fromByteBuffer(dtype, shape, ByteBuffer.wrap(bytes));
    }

    public static Tensor of(float[] values, long... dims) {
        Tensor t = allocateFor(DType.FLOAT, values.length, dims);
        MemorySegment.copy(values, 0, t.data, F32, 0, values.length);
        return t;
    }

    public static Tensor of(double[] values, long... dims) {
        Tensor t = allocateFor(DType.DOUBLE, values.length, dims);
        MemorySegment.copy(values, 0, t.data, F64, 0, values.length);
        return t;
    }

    public static Tensor of(long[] values, long... dims) {
        Tensor t = allocateFor(DType.INT64, values.length, dims);
        MemorySegment.copy(values, 0, t.data, I64, 0, values.length);
        return t;
    }

    public static Tensor of(int[] values, long... dims) {
        Tensor t = allocateFor(DType.INT32, values.length, dims);
        MemorySegment.copy(values, 0, t.data, I32, 0, values.length);
        return t;
    }

    /** An INT8 or UINT8 (or BOOL, one byte per element) tensor from raw bytes. */
    public static Tensor of(DType byteType, byte[] values, long... dims) {
        if (byteType.byteSize() != 1) throw new IllegalArgumentException(byteType + " is not a one-byte type");
        Tensor t = allocateFor(byteType, values.length, dims);
        MemorySegment.copy(values, 0, t.data, I8, 0, values.length);
        return t;
    }

    public static Tensor of(boolean[] values, long... dims) {
        Tensor t = allocateFor(DType.BOOL, values.length, dims);
        for (int i = 0; i < values.length; i++) t.data.set(I8, i, (byte) (values[i] ? 1 : 0));
        return t;
    }

    public static Tensor ofStrings(String[] values, long... dims) {
        Shape shape = Shape.of(dims);
        checkCount(DType.STRING, values.length, shape);
        return new Tensor(DType.STRING, shape, MemorySegment.NULL, null, values.clone());
    }

    /** A rank-0 float tensor. */
    public static Tensor scalar(float value) {
        return of(new float[] {value});
    }

    /** A rank-0 int64 tensor. */
    public static Tensor scalar(long value) {
        return of(new long[] {value});
    }

    private static Tensor allocateFor(DType dtype, int count, long[] dims) {
        Shape shape = Shape.of(dims);
        checkCount(dtype, count, shape);
        return allocate(dtype, shape);
    }

    private static void checkCount(DType dtype, long count, Shape shape) {
        if (shape.elementCount() != count) {
            throw new IllegalArgumentException(count + " values do not fill " + dtype.onnxName() + shape
                    + " (" + shape.elementCount() + " elements)");
        }
    }

    // ---------------------------------------------------------------- description

    public DType dtype() {
        return dtype;
    }

    public Shape shape() {
        return shape;
    }

    public long elementCount() {
        return shape.elementCount();
    }

    /** Bytes of element storage (0 for STRING). */
    public long byteSize() {
        return data.byteSize();
    }

    /** True when {@link #close()} frees memory; false for views on memory owned elsewhere. */
    public boolean ownsMemory() {
        return arena != null || strings != null;
    }

    /** The element storage. Valid until this tensor (or the owner of borrowed memory) is closed. */
    public MemorySegment data() {
        checkOpen();
        return data;
    }

    /** A borrowed view with another shape of the same element count. */
    public Tensor reshaped(Shape newShape) {
        checkOpen();
        if (newShape.elementCount() != shape.elementCount()) {
            throw new IllegalArgumentException("cannot view " + shape + " as " + newShape);
        }
        return new Tensor(dtype, newShape, data, null, strings);
    }

    /** An owned deep copy. */
    public Tensor copy() {
        checkOpen();
        if (dtype == DType.STRING) return ofStrings(strings, shape.dims());
        Tensor t = allocate(dtype, shape);
        t.data.copyFrom(data);
        return t;
    }

    // ---------------------------------------------------------------- element access

    public float getFloat(long i) {
        checkOpen();
        return data.getAtIndex(F32, i);
    }

    public void setFloat(long i, float v) {
        checkOpen();
        data.setAtIndex(F32, i, v);
    }

    public long getLong(long i) {
        checkOpen();
        return data.getAtIndex(I64, i);
    }

    public int getInt(long i) {
        checkOpen();
        return data.getAtIndex(I32, i);
    }

    /** Element {@code i} of any numeric or bool type, converted to double. */
    public double getAsDouble(long i) {
        checkOpen();
        return switch (dtype) {
            case FLOAT -> data.getAtIndex(F32, i);
            case DOUBLE -> data.getAtIndex(F64, i);
            case INT64 -> data.getAtIndex(I64, i);
            case UINT64 -> unsignedLongToDouble(data.getAtIndex(I64, i));
            case INT32 -> data.getAtIndex(I32, i);
            case UINT32 -> Integer.toUnsignedLong(data.getAtIndex(I32, i));
            case INT16 -> data.getAtIndex(I16, i);
            case UINT16 -> Short.toUnsignedInt(data.getAtIndex(I16, i));
            case INT8 -> data.get(I8, i);
            case UINT8, BOOL -> Byte.toUnsignedInt(data.get(I8, i));
            case FLOAT16 -> Float.float16ToFloat(data.getAtIndex(I16, i));
            case BFLOAT16 -> Float.intBitsToFloat(data.getAtIndex(I16, i) << 16);
            default -> throw new UnsupportedOperationException("element access for " + dtype.onnxName());
        };
    }

    private static double unsignedLongToDouble(long v) {
        double d = (double) (v >>> 1) * 2.0;
        return d + (v & 1);
    }

    /** Element {@code i} as a long, for integer and bool types. */
    public long getAsLong(long i) {
        checkOpen();
        return switch (dtype) {
            case INT64, UINT64 -> data.getAtIndex(I64, i);
            case INT32 -> data.getAtIndex(I32, i);
            case UINT32 -> Integer.toUnsignedLong(data.getAtIndex(I32, i));
            case INT16 -> data.getAtIndex(I16, i);
            case UINT16 -> Short.toUnsignedInt(data.getAtIndex(I16, i));
            case INT8 -> data.get(I8, i);
            case UINT8, BOOL -> Byte.toUnsignedInt(data.get(I8, i));
            default -> (long) getAsDouble(i);
        };
    }

    // ---------------------------------------------------------------- readers back to arrays

    public float[] toFloatArray() {
        requireType(DType.FLOAT);
        return data.toArray(F32);
    }

    public double[] toDoubleArray() {
        requireType(DType.DOUBLE);
        return data.toArray(F64);
    }

    public long[] toLongArray() {
        requireType(DType.INT64);
        return data.toArray(I64);
    }

    public int[] toIntArray() {
        requireType(DType.INT32);
        return data.toArray(I32);
    }

    public boolean[] toBooleanArray() {
        requireType(DType.BOOL);
        boolean[] r = new boolean[Math.toIntExact(elementCount())];
        for (int i = 0; i < r.length; i++) r[i] = data.get(I8, i) != 0;
        return r;
    }

    /** The raw little-endian element bytes. */
    public byte[] toByteArray() {
        checkOpen();
        return data.toArray(I8);
    }

    public String[] toStringArray() {
        requireType(DType.STRING);
        return strings.clone();
    }

    /** Every element converted to float (numeric and bool types). */
    public float[] toFloatArrayConverted() {
        checkOpen();
        if (dtype == DType.FLOAT) return data.toArray(F32);
        float[] r = new float[Math.toIntExact(elementCount())];
        for (int i = 0; i < r.length; i++) r[i] = (float) getAsDouble(i);
        return r;
    }

    /** Copies the raw element bytes into {@code buffer} (native order assumed little-endian). */
    public ByteBuffer toByteBuffer() {
        return ByteBuffer.wrap(toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
    }

    private void requireType(DType t) {
        checkOpen();
        if (dtype != t) throw new IllegalStateException("tensor is " + dtype.onnxName() + ", not " + t.onnxName());
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("tensor is closed");
    }

    /** Frees owned memory; does nothing to borrowed memory. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        if (arena == null) { // nothing to free: no lock (a run result closes its borrowed outputs every run)
            closed = true;
            return;
        }
        synchronized (this) {
            if (closed) return;
            closed = true;
            if (arena != null) arena.close();
        }
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Tensor(").append(dtype.onnxName()).append(shape);
        if (closed) return b.append(", closed)").toString();
        long n = Math.min(elementCount(), 8);
        b.append(", [");
        for (long i = 0; i < n; i++) {
            if (i > 0) b.append(", ");
            b.append(dtype == DType.STRING ? '"' + strings[(int) i] + '"' : formatElement(i));
        }
        if (elementCount() > n) b.append(", ...");
        return b.append("])").toString();
    }

    private String formatElement(long i) {
        try {
            return dtype.isFloatingPoint() ? Double.toString(getAsDouble(i)) : Long.toString(getAsLong(i));
        } catch (UnsupportedOperationException e) {
            return "?";
        }
    }
}
