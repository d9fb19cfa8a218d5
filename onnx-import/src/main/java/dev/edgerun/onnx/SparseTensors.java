package dev.edgerun.onnx;

import dev.edgerun.onnx.proto.Onnx.SparseTensorProto;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX sparse tensors (sparse initializers, {@code SPARSE_TENSOR} attributes) as the IR holds them:
 * dense tensors. Reading densifies ({@code values} scattered at {@code indices}, zero elsewhere);
 * writing sparsifies again (the non-zero elements, with linearized int64 indices).
 */
final class SparseTensors {
    /** A sparse tensor's dense form may not exceed this many bytes: a guard against hostile dims. */
    static final long MAX_DENSE_BYTES = 1L << 31;

    private SparseTensors() {}

    static Tensor densify(Tensor values, Tensor indices, List<Long> dimList, Arena arena, String where) {
        long[] dims = dimList.stream().mapToLong(Long::longValue).toArray();
        for (long d : dims) {
            if (d < 0) throw new ModelFormatException(where + ": negative dimension in sparse dims " + dimList);
        }
        DType dtype = values.dtype();
        if (dtype.byteSize() == 0 && dtype != DType.STRING) {
            throw new ModelFormatException(where + ": sparse " + dtype.onnxName() + " tensors are not supported");
        }
        Shape shape = Shape.of(dims);
        long count = denseCount(shape, dtype, where);
        long nnz = values.elementCount();
        long[] linear = linearIndices(indices, shape, nnz, count, where);
        if (dtype == DType.STRING) {
            String[] dense = new String[Math.toIntExact(count)];
            Arrays.fill(dense, "");
            String[] v = values.toStringArray();
            for (int k = 0; k < v.length; k++) dense[(int) linear[k]] = v[k];
            return Tensor.ofStrings(dense, dims);
        }
        long w = dtype.byteSize();
        long bytes = count * w;
        MemorySegment dst = arena.allocate(Math.max(bytes, 1), Tensor.ALIGNMENT).asSlice(0, bytes);
        dst.fill((byte) 0);
        for (int k = 0; k < nnz; k++) MemorySegment.copy(values.data(), k * w, dst, linear[k] * w, w);
        return Tensor.wrap(dtype, shape, dst);
    }

    private static long denseCount(Shape shape, DType dtype, String where) {
        try {
            long count = shape.elementCount();
            if (dtype != DType.STRING && Math.multiplyExact(count, (long) dtype.byteSize()) > MAX_DENSE_BYTES) {
                throw new ModelFormatException(where + ": sparse tensor of shape " + shape + " would need "
                        + count * dtype.byteSize() + " bytes dense, more than the limit of " + MAX_DENSE_BYTES);
            }
            if (dtype == DType.STRING && count > Integer.MAX_VALUE - 8) {
                throw new ModelFormatException(where + ": sparse string tensor of shape " + shape + " is too large");
            }
            return count;
        } catch (ArithmeticException e) {
            throw new ModelFormatException(where + ": sparse dims " + shape + " overflow");
        }
    }

    /** Indices as linear offsets: given either as [NNZ] (linear) or [NNZ, rank] (coordinates). */
    private static long[] linearIndices(Tensor indices, Shape shape, long nnz, long count, String where) {
        if (indices.dtype() != DType.INT64) {
            throw new ModelFormatException(where + ": sparse indices must be int64, not " + indices.dtype().onnxName());
        }
        long[] raw = indices.toLongArray();
        long[] linear;
        if (raw.length == nnz) {
            linear = raw;
        } else if (nnz > 0 && raw.length == nnz * shape.rank()) {
            linear = new long[(int) nnz];
            for (int k = 0; k < nnz; k++) {
                long at = 0;
                for (int d = 0; d < shape.rank(); d++) {
                    long c = raw[k * shape.rank() + d];
                    if (c < 0 || c >= shape.dim(d)) {
                        throw new ModelFormatException(where + ": sparse index " + c + " out of range for axis " + d
                                + " of " + shape);
                    }
                    at = at * shape.dim(d) + c;
                }
                linear[k] = at;
            }
        } else {
            throw new ModelFormatException(where + ": sparse indices hold " + raw.length + " values for " + nnz
                    + " values of shape " + shape + "; expected " + nnz + " or " + nnz * shape.rank());
        }
        for (long i : linear) {
            if (i < 0 || i >= count) {
                throw new ModelFormatException(where + ": sparse index " + i + " out of range for shape " + shape);
            }
        }
        return linear;
    }

    /** The non-zero (non-empty for strings) elements of {@code dense} as a SparseTensorProto. */
    static SparseTensorProto sparsify(String name, Tensor dense) {
        DType dtype = dense.dtype();
        List<Long> at = new ArrayList<>();
        if (dtype == DType.STRING) {
            String[] s = dense.toStringArray();
            List<String> kept = new ArrayList<>();
            for (int i = 0; i < s.length; i++) {
                if (!s[i].isEmpty()) {
                    at.add((long) i);
                    kept.add(s[i]);
                }
            }
            Tensor values = Tensor.ofStrings(kept.toArray(String[]::new), kept.size());
            return build(name, dense, values, at);
        }
        long w = dtype.byteSize();
        MemorySegment data = dense.data();
        for (long i = 0; i < dense.elementCount(); i++) {
            if (MemorySegment.mismatch(data, i * w, (i + 1) * w, MemorySegment.ofArray(new byte[(int) w]), 0, w) != -1) {
                at.add(i);
            }
        }
        try (Tensor values = Tensor.allocate(dtype, Shape.of(at.size()))) {
            for (int k = 0; k < at.size(); k++) MemorySegment.copy(data, at.get(k) * w, values.data(), k * w, w);
            return build(name, dense, values, at);
        }
    }

    private static SparseTensorProto build(String name, Tensor dense, Tensor values, List<Long> at) {
        long[] idx = at.stream().mapToLong(Long::longValue).toArray();
        try (Tensor indices = Tensor.of(idx, idx.length)) {
            SparseTensorProto.Builder b = SparseTensorProto.newBuilder()
                    .setValues(TensorProtos.toProto(name, values))
                    .setIndices(TensorProtos.toProto("", indices));
            for (long d : dense.shape().dims()) b.addDims(d);
            return b.build();
        }
    }
}
