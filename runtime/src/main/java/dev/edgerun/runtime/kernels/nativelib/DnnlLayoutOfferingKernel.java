package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.BiFunction;

/**
 * A oneDNN convolution (float or 8-bit) that may keep X or Y in oneDNN's chosen layout between two
 * oneDNN convolutions: it offers those layouts to the planner ({@link #internalInputLayout},
 * {@link #internalOutputLayout}), asked of oneDNN once, and builds the kernel that uses them.
 */
abstract class DnnlLayoutOfferingKernel extends DnnlKernel {
    final DnnlLayout internalX;   // X arrives in this layout; null: NC(D)HW
    final DnnlLayout internalY;   // Y is left in this layout; null: NC(D)HW
    private volatile DnnlConvGeometry.Offer offer;

    DnnlLayoutOfferingKernel(Dnnl dnnl, DnnlLayout internalX, DnnlLayout internalY) {
        super(dnnl);
        this.internalX = internalX;
        this.internalY = internalY;
    }

    /** Asks oneDNN which layouts it wants for X and Y when free to choose; {@code Offer.NONE} for none. */
    abstract DnnlConvGeometry.Offer chooseOffer();

    public long scratchBytes() {
        return defaultBuilt().scratch().total();
    }

    public KernelProvider.ConvKernel.Layout internalInputLayout() {
        return planned(internalX != null ? internalX : offer().x());
    }

    public KernelProvider.ConvKernel.Layout internalOutputLayout() {
        return planned(internalY != null ? internalY : offer().y());
    }

    /**
     * The layout to ask oneDNN for, for an activation of {@code shape} and oneDNN data type
     * {@code type}: its {@code internal} layout where it has one, else {@code any} (oneDNN chooses)
     * when {@code blocked}, else {@code plain}.
     */
    final MemorySegment askedLayout(Arena arena, DnnlLayout internal, boolean blocked, long[] shape, int type,
                                    MemorySegment plain) {
        if (internal != null) return internal.md(arena);
        return blocked ? dnnl.mdByTag(arena, shape, type, Dnnl.TAG_ANY) : plain;
    }

    /**
     * The kernel {@code make} builds from the X and Y layouts, with X ({@code input}) and/or Y
     * ({@code output}) switched to the offered ones; null where that layout is not offered or
     * oneDNN has no implementation.
     */
    final <K extends DnnlKernel> K withOffered(boolean input, boolean output, BiFunction<DnnlLayout, DnnlLayout, K> make) {
        DnnlConvGeometry.Offer o = offer();
        if ((input && o.x() == null) || (output && o.y() == null)) return null;
        K k = make.apply(input ? o.x() : internalX, output ? o.y() : internalY);
        return k.initialize() ? k : null;
    }

    /** The planner's view of {@code layout}; null for null (NC(D)HW). */
    private static KernelProvider.ConvKernel.Layout planned(DnnlLayout layout) {
        return layout == null ? null : new KernelProvider.ConvKernel.Layout(layout, layout.bytes());
    }

    private DnnlConvGeometry.Offer offer() {
        DnnlConvGeometry.Offer o = offer;
        if (o == null) offer = o = chooseOffer();
        return o;
    }
}
