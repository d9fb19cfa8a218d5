package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The Java {@link KernelProvider.GemmKernel}: packs whichever operand is constant once, here at
 * compile time, packs the others into scratch on each run, then runs {@link F32Gemm#multiply}. At
 * 512 bits an A that changes per run against a constant B is read in place by
 * {@link F32WideTileGemm} instead (no packing per run, 4 x 64 tiles), which also adds a MatMul's
 * fused bias as it stores a tile ({@link #withRowBias}; {@code -D}{@value #WIDE_ROW_BIAS_PROPERTY}{@code =off}
 * fills Y with the bias first and accumulates onto it, as before).
 * Packed weights live in {@link F32Gemm#allocatePacked} memory, freed with this kernel.
 */
public final class F32GemmKernel implements KernelProvider.GemmKernel, RowBiasGemm {
    private final KernelProvider.GemmSpec spec;
    private final F32Gemm gemm;
    private final MemorySegment packedA; // null when A is packed per run
    private final MemorySegment packedB; // null when B is packed per run
    private final long aBytes;
    private final long bBytes;
    private final F32Gemv gemv;           // one-row products read A in place; null otherwise
    private final F32WideTileGemm wide;   // A read in place against constant packed B, 512-bit; null otherwise

    public F32GemmKernel(KernelProvider.GemmSpec spec, F32Gemm gemm) {
        if (spec.dtype() != DType.FLOAT) throw new IllegalArgumentException("F32GemmKernel needs float32, got " + spec);
        this.spec = spec;
        this.gemm = gemm;
        this.aBytes = 4 * F32Gemm.packedASize(spec.m(), spec.k());
        this.bBytes = 4 * gemm.packedBSize(spec.k(), spec.n());
        this.packedA = spec.constantA() == null ? null : packConstant(spec.constantA(), aBytes, true);
        this.packedB = spec.constantB() == null ? null : packConstant(spec.constantB(), bBytes, false);
        this.gemv = spec.m() == 1 && spec.constantA() == null && gemm.species() != null ? new F32Gemv(gemm) : null;
        this.wide = gemv == null && packedA == null && packedB != null && !spec.transA() && spec.alpha() == 1f
                && F32WideTileGemm.suits(gemm.species(), spec.k()) ? new F32WideTileGemm(gemm.species()) : null;
    }

    private MemorySegment packConstant(Tensor t, long bytes, boolean isA) {
        MemorySegment dst = F32Gemm.allocatePacked(bytes);
        if (isA) packA(t.data(), 0, dst, 0);
        else packB(t.data(), 0, dst, 0);
        return dst;
    }

    private void packA(MemorySegment a, long aOffset, MemorySegment dst, long dstOff) {
        int m = spec.m(), k = spec.k();
        if (spec.transA()) F32Gemm.packA(a, aOffset, 1, m, m, k, dst, dstOff);
        else F32Gemm.packA(a, aOffset, k, 1, m, k, dst, dstOff);
    }

    private void packB(MemorySegment b, long bOffset, MemorySegment dst, long dstOff) {
        int n = spec.n(), k = spec.k();
        if (spec.transB()) gemm.packB(b, bOffset, 1, k, k, n, dst, dstOff);
        else gemm.packB(b, bOffset, n, 1, k, n, dst, dstOff);
    }

    @Override
    public long scratchBytes() {
        return (packedA == null ? aBytes : 0) + (packedB == null ? bBytes : 0);
    }

    @Override
    public void run(MemorySegment a, long aOffset, MemorySegment b, long bOffset, MemorySegment y, long yOffset,
                    MemorySegment scratch, Parallel par) {
        MemorySegment pa = packedA;
        MemorySegment pb = packedB;
        long paOff = 0, pbOff = 0;
        long free = 0;
        if (gemv != null) { // A is one row, element p at p whether transposed or not
            if (pb == null) packB(b, bOffset, scratch, 0);
            gemv.multiply(spec.n(), spec.k(), a, aOffset, 1, pb == null ? scratch : pb, 0, y, yOffset,
                    spec.alpha(), spec.accumulate(), spec.epilogue(), par);
            return;
        }
        if (wide != null) {
            wide.multiply(spec.m(), spec.n(), spec.k(), a, aOffset, spec.k(), pb, 0, y, yOffset, spec.n(),
                    spec.accumulate(), spec.epilogue(), gemm.parallelFor((long) spec.m() * spec.n() * spec.k(), par));
            return;
        }
        if (pa == null) {
            pa = scratch;
            paOff = free;
            packA(a, aOffset, scratch, paOff);
            free += aBytes;
        }
        if (pb == null) {
            pb = scratch;
            pbOff = free;
            packB(b, bOffset, scratch, pbOff);
        }
        gemm.multiply(spec.m(), spec.n(), spec.k(), pa, paOff, pb, pbOff, y, yOffset, spec.n(),
                spec.alpha(), spec.accumulate(), spec.epilogue(), par);
    }

    /** {@value #WIDE_ROW_BIAS_PROPERTY}: {@code on} (default) or {@code off} (no row-bias form: bias rows filled into Y first). */
    static final String WIDE_ROW_BIAS_PROPERTY = "edgerun.java.wideRowBias";

    /**
     * The row-adding form of an accumulating {@link F32WideTileGemm} product (a MatMul's fused
     * bias): the bias is added as each tile is stored instead of being filled into Y and read back.
     * Null for other products, or when {@value #WIDE_ROW_BIAS_PROPERTY} is {@code off}.
     */
    @Override
    public RowBiasGemm.Kernel withRowBias() {
        if (wide == null || !spec.accumulate()) return null;
        if (System.getProperty(WIDE_ROW_BIAS_PROPERTY, "on").trim().equals("off")) return null;
        return new WideRowBias();
    }

    /** {@link #withRowBias}'s kernel: the wide product writing Y once, bias added in the store. */
    private final class WideRowBias implements RowBiasGemm.Kernel {
        @Override
        public long scratchBytes() {
            return 0;
        }

        @Override
        public void run(MemorySegment a, long aOffset, MemorySegment b, long bOffset, MemorySegment bias, long biasOffset,
                        MemorySegment y, long yOffset, MemorySegment scratch, Parallel par) {
            wide.multiply(spec.m(), spec.n(), spec.k(), a, aOffset, spec.k(), packedB, 0, bias, biasOffset, y, yOffset,
                    spec.n(), false, spec.epilogue(), gemm.parallelFor((long) spec.m() * spec.n() * spec.k(), par));
        }
    }

    /** Whether {@link #runAddingRow} applies: a one-row product on the vector GEMV. */
    public boolean addsRowInRegisters() {
        return gemv != null;
    }

    /**
     * {@code y = alpha * A . B + row} for a one-row product ({@link #addsRowInRegisters}): the
     * row of n floats at byte {@code rowOffset} (a Gemm's bias C) is added in registers before
     * the epilogue, so y is written once instead of first being filled with the row.
     */
    public void runAddingRow(MemorySegment a, long aOffset, MemorySegment b, long bOffset, MemorySegment row,
                             long rowOffset, MemorySegment y, long yOffset, MemorySegment scratch, Parallel par) {
        if (gemv == null) throw new IllegalStateException("runAddingRow needs a one-row product, got " + spec);
        MemorySegment pb = packedB;
        if (pb == null) {
            packB(b, bOffset, scratch, 0);
            pb = scratch;
        }
        gemv.multiplyAdding(spec.n(), spec.k(), a, aOffset, 1, pb, 0, y, yOffset, spec.alpha(), row, rowOffset,
                spec.epilogue(), par);
    }

    @Override
    public String toString() {
        return "F32Gemm(" + (gemm.species() == null ? "scalar" : gemm.species().vectorBitSize() + "-bit") + ") " + spec;
    }
}
