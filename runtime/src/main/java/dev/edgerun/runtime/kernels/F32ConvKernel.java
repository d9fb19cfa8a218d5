package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * General float32 convolution as GEMM: per image and group, {@code Y_g[Mg, P] = W_g[Mg, Kc] .
 * col(X_g)[Kc, P]} where {@code Kc = C/group * prod(kernel)} and {@code P} is the number of output
 * positions. The column matrix is written by {@link F32Im2Col} straight into packed panels; a 1x1
 * unit-stride unpadded convolution packs the input itself (no im2col). The bias is written first
 * and the product accumulated onto it; constant weights are packed once here.
 */
public final class F32ConvKernel implements KernelProvider.ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final KernelProvider.ConvSpec spec;
    private final F32Gemm gemm;
    private final int batch, channels, outChannels, group, cg, mg, kc, positions, inPlane;
    private final int[] in, kernel, out;
    private final boolean pointwise;
    private final boolean fast2d;
    private final long weightGroupBytes; // packed A of one group
    private final long colBytes;
    private final MemorySegment packedW; // null when the weights are packed per run

    public F32ConvKernel(KernelProvider.ConvSpec spec, F32Gemm gemm) {
        if (spec.dtype() != DType.FLOAT) throw new IllegalArgumentException("F32ConvKernel needs float32, got " + spec);
        this.spec = spec;
        this.gemm = gemm;
        int rank = spec.spatialRank();
        batch = (int) spec.inputShape()[0];
        channels = (int) spec.inputShape()[1];
        outChannels = (int) spec.weightShape()[0];
        group = spec.group();
        cg = channels / group;
        mg = outChannels / group;
        in = new int[rank];
        kernel = new int[rank];
        out = new int[rank];
        int kprod = 1, pos = 1, plane = 1;
        boolean unit = true;
        for (int a = 0; a < rank; a++) {
            in[a] = (int) spec.inputShape()[a + 2];
            kernel[a] = (int) spec.weightShape()[a + 2];
            out[a] = (int) spec.outputShape()[a + 2];
            kprod *= kernel[a];
            pos *= out[a];
            plane *= in[a];
            unit &= kernel[a] == 1 && spec.strides()[a] == 1 && spec.padsBegin()[a] == 0;
        }
        kc = cg * kprod;
        positions = pos;
        inPlane = plane;
        pointwise = unit && pos == plane;
        fast2d = rank <= 2;
        weightGroupBytes = 4 * F32Gemm.packedASize(mg, kc);
        colBytes = 4 * gemm.packedBSize(kc, positions);
        if (spec.constantWeight() != null) {
            packedW = F32Gemm.allocatePacked(weightGroupBytes * group);
            packWeights(spec.constantWeight().data(), packedW, 0);
        } else {
            packedW = null;
        }
    }

    private void packWeights(MemorySegment w, MemorySegment dst, long dstOff) {
        for (int g = 0; g < group; g++) {
            F32Gemm.packA(w, 4L * g * mg * kc, kc, 1, mg, kc, dst, dstOff + g * weightGroupBytes);
        }
    }

    @Override
    public long scratchBytes() {
        return colBytes + (packedW == null ? weightGroupBytes * group : 0);
    }

    @Override
    public void run(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        MemorySegment pw = packedW;
        long pwOff = 0;
        if (pw == null) {
            pw = scratch;
            pwOff = colBytes;
            packWeights(w, scratch, pwOff);
        }
        boolean hasBias = bias != null && bias.byteSize() > 0;
        for (int n = 0; n < batch; n++) {
            for (int g = 0; g < group; g++) {
                long xOff = 4L * ((long) n * channels + (long) g * cg) * inPlane;
                long yOff = 4L * ((long) n * outChannels + (long) g * mg) * positions;
                buildColumns(x, xOff, scratch, par);
                if (hasBias) fillBias(bias, g, y, yOff);
                gemm.multiply(mg, positions, kc, pw, pwOff + g * weightGroupBytes, scratch, 0, y, yOff, positions,
                        1f, hasBias, spec.epilogue(), par);
            }
        }
    }

    /**
     * im2col into packed B; split over threads only when its {@code kc * positions} elements reach
     * the GEMM's threshold ({@link F32Gemm#parallelFor}): copying an element costs at least a
     * multiply-add, and small convolutions lost time to the hand-over.
     */
    private void buildColumns(MemorySegment x, long xOff, MemorySegment col, Parallel par) {
        Parallel split = gemm.parallelFor((long) kc * positions, par);
        if (pointwise) {
            gemm.packB(x, xOff, positions, 1, kc, positions, col, 0);
        } else if (split.threads() <= 1) {
            columnRows(x, xOff, col, 0, kc);
        } else {
            split.forRange(kc, (r0, r1) -> columnRows(x, xOff, col, r0, r1));
        }
    }

    private void columnRows(MemorySegment x, long xOff, MemorySegment col, int r0, int r1) {
        int[] s = spec.strides(), p = spec.padsBegin(), d = spec.dilations();
        if (fast2d && in.length == 2) {
            F32Im2Col.rows2d(x, xOff, in[0], in[1], kernel[0], kernel[1], s[0], s[1], p[0], p[1], d[0], d[1],
                    out[0], out[1], kc, gemm.nr(), r0, r1, col, 0);
        } else if (fast2d && in.length == 1) {
            F32Im2Col.rows2d(x, xOff, 1, in[0], 1, kernel[0], 1, s[0], 0, p[0], 1, d[0],
                    1, out[0], kc, gemm.nr(), r0, r1, col, 0);
        } else {
            F32Im2Col.rowsNd(x, xOff, in, kernel, out, s, p, d, kc, gemm.nr(), r0, r1, col, 0);
        }
    }

    private void fillBias(MemorySegment bias, int g, MemorySegment y, long yOff) {
        for (int i = 0; i < mg; i++) {
            float b = bias.getAtIndex(F, (long) g * mg + i);
            long row = yOff + 4L * i * positions;
            for (int q = 0; q < positions; q++) y.set(F, row + 4L * q, b);
        }
    }

    @Override
    public String toString() {
        return "F32Conv(im2col+gemm" + (pointwise ? ", pointwise" : "") + ") " + spec;
    }
}
