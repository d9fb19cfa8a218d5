package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import java.util.Optional;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernels written in Java: with a vector species ({@link #vector()}, the portable fast path)
 * or scalar ({@link #scalar()}, the last resort that supports every float32 spec and runs on a JVM
 * without {@code jdk.incubator.vector}). Both share the packed layouts of {@link F32Gemm}.
 */
public final class JavaKernels implements KernelProvider {
    private final VectorSpecies<Float> species; // null: scalar
    private final boolean vectorWanted;

    private JavaKernels(VectorSpecies<Float> species, boolean vectorWanted) {
        this.species = species;
        this.vectorWanted = vectorWanted;
    }

    /** Vector API kernels on {@link Vectors#F32}; unavailable when vectors are disabled. */
    public static JavaKernels vector() {
        return new JavaKernels(Vectors.enabled() ? Vectors.F32 : null, true);
    }

    /** Vector API kernels on the given species (tests use it to run every width in one JVM). */
    public static JavaKernels vector(VectorSpecies<Float> species) {
        return new JavaKernels(species, true);
    }

    /** Scalar loops: always available. */
    public static JavaKernels scalar() {
        return new JavaKernels(null, false);
    }

    @Override
    public String name() {
        return vectorWanted ? "java" : "scalar";
    }

    @Override
    public Availability availability() {
        if (vectorWanted && species == null) {
            return Availability.no("the Vector API is disabled (edgerun.vectorBits=0 or jdk.incubator.vector not loaded)");
        }
        return Availability.YES;
    }

    @Override
    public int priority() {
        return vectorWanted ? 10 : 0;
    }

    @Override
    public Optional<GemmKernel> gemm(GemmSpec spec) {
        if (spec.dtype() != DType.FLOAT || !availability().available()) return Optional.empty();
        return Optional.of(new F32GemmKernel(spec, new F32Gemm(species)));
    }

    @Override
    public Optional<ConvKernel> conv(ConvSpec spec) {
        if (spec.dtype() != DType.FLOAT || !availability().available()) return Optional.empty();
        if (F32Depthwise3x3.supports(spec, species)) return Optional.of(new F32Depthwise3x3(spec, species));
        if (F32Depthwise3x3Stride2.supports(spec, species)) return Optional.of(new F32Depthwise3x3Stride2(spec, species));
        if (F32DepthwiseSameWidth.supports(spec, species)) return Optional.of(new F32DepthwiseSameWidth(spec, species));
        if (F32DepthwiseConv.supports(spec)) return Optional.of(new F32DepthwiseConv(spec, species));
        if (F32PhasePlaneConv.preferred(spec, species)) return Optional.of(new F32PhasePlaneConv(spec, species));
        if (F32Winograd.preferred(spec, species)) return Optional.of(new F32Winograd(spec, new F32Gemm(species)));
        if (F32FewPositionsConv.preferred(spec, species)) return Optional.of(new F32FewPositionsConv(spec, species));
        return Optional.of(new F32ConvKernel(spec, new F32Gemm(species)));
    }

    /** {@code -Dedgerun.java.q8Pointwise=off} keeps narrow 8-bit pointwise (and shallow) convolutions on {@link Q8ConvGemm} (for comparisons). */
    static final String Q8_POINTWISE_PROPERTY = "edgerun.java.q8Pointwise";
    /** {@code -Dedgerun.java.q8FewPositions=off} keeps 8-bit pointwise convolutions over few positions on {@link Q8ConvGemm}. */
    static final String Q8_FEW_POSITIONS_PROPERTY = "edgerun.java.q8FewPositions";
    /** {@code -Dedgerun.java.q8FewPositionsBytes=off} keeps the int8 weights of pointwise convolutions over few positions widened to float at compile time. */
    static final String Q8_FEW_POSITIONS_BYTES_PROPERTY = "edgerun.java.q8FewPositionsBytes";

    /**
     * The 8-bit convolution on the float FMA path, integer sums formed in float32 with the int8
     * weights converted to float once: pointwise convolutions with few outputs, or few inputs over many positions, by
     * {@link Q8PointwiseImplicit} (the input widened in the GEMM's registers, not packed: see its
     * {@link Q8PointwiseImplicit#MAX_OUTPUTS} for the measurements), shallow ones with few outputs by
     * {@link Q8ImplicitConv} (the same over zero-point-padded byte planes; see its {@link Q8ImplicitConv#MAX_OUTPUTS}),
     * pointwise ones over few positions with many weights by {@link Q8PointwiseFewPositionsBytes} (the
     * weights kept as bytes, widened in registers: see its {@link Q8PointwiseFewPositionsBytes#MIN_WEIGHTS}), others by
     * {@link Q8PointwiseFewPositions} (positions as tile rows, as float does; where deep, see its
     * {@link Q8PointwiseFewPositions#MIN_DEPTH}), deep ones over few positions where float takes {@link F32FewPositionsConv}
     * by {@link Q8ConvViaF32} on that kernel, other pointwise ones by {@link Q8PointwiseDirect} (the input widened once
     * into plain float rows that the tiles read in place, as float's direct product does), other 1-D/2-D non-depthwise convolutions by {@link Q8ConvGemm}
     * (im2col into packed panels, requantized from the GEMM's registers), 2-D depthwise ones by
     * {@link Q8DepthwiseConv} (direct taps over zero-padded stride-phase planes, planes split over
     * threads), 3x3 stride-1 ones where float takes Winograd by {@link Q8Winograd4x4} on planes of
     * 28x28 or more and by {@link Q8Winograd} on smaller ones (both within one step, not exact),
     * the others by {@link Q8ConvViaF32} (widen, the float
     * convolution kernels, requantize). Needs constant int8 weights.
     */
    @Override
    public Optional<Q8ConvKernel> q8conv(Q8ConvSpec spec) {
        var g = spec.geometry();
        if (!availability().available() || g.constantWeight() == null || g.constantWeight().dtype() != DType.INT8
                || (g.dtype() != DType.INT8 && g.dtype() != DType.UINT8)) {
            return Optional.empty();
        }
        if (Q8DepthwiseConv.supports(g)) return Optional.of(new Q8DepthwiseConv(spec, species));
        if (Q8Winograd4x4.preferred(spec, species)) return Optional.of(new Q8Winograd4x4(spec, new F32Gemm(species)));
        if (Q8Winograd.preferred(spec, species)) return Optional.of(new Q8Winograd(spec, new F32Gemm(species)));
        if (Q8PointwiseImplicit.supports(spec, species) && !"off".equals(System.getProperty(Q8_POINTWISE_PROPERTY))) {
            return Optional.of(new Q8PointwiseImplicit(spec, new F32Gemm(species)));
        }
        if (Q8ImplicitConv.supports(spec, species) && !"off".equals(System.getProperty(Q8_POINTWISE_PROPERTY))) {
            return Optional.of(new Q8ImplicitConv(spec, new F32Gemm(species)));
        }
        if (Q8PointwiseFewPositionsBytes.supports(spec, species) && !"off".equals(System.getProperty(Q8_FEW_POSITIONS_BYTES_PROPERTY))) {
            return Optional.of(new Q8PointwiseFewPositionsBytes(spec, species));
        }
        if (Q8PointwiseFewPositions.supports(spec, species) && !"off".equals(System.getProperty(Q8_FEW_POSITIONS_PROPERTY))) {
            return Optional.of(new Q8PointwiseFewPositions(spec, species));
        }
        if (Q8ConvViaF32.takesFewPositions(spec, species)) return Optional.of(new Q8ConvViaF32(spec, this, species));
        if (Q8PointwiseDirect.supports(spec, species)) return Optional.of(new Q8PointwiseDirect(spec, new F32Gemm(species)));
        if (!g.isDepthwise() && Q8ConvGemm.supports(g)) return Optional.of(new Q8ConvGemm(spec, species));
        return Optional.of(new Q8ConvViaF32(spec, this, species));
    }

    @Override
    public String toString() {
        return name() + (species == null ? "" : "(" + species.vectorBitSize() + "-bit)");
    }
}
