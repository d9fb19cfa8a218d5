package dev.edgerun.runtime.ops;

import dev.edgerun.runtime.kernels.KernelProvider;

/**
 * A kernel that can keep its input 0 or output 0 in a native library's internal activation layout
 * instead of the dense row-major one (see {@link KernelProvider.ConvKernel#internalInputLayout}).
 * The planner switches a value to such a layout only when its producer and every one of its
 * consumers are such kernels agreeing on it, and the value is no graph output; everything else
 * keeps seeing dense tensors.
 */
public interface InternalLayoutKernel extends Kernel {

    /** The layout input 0 could be read in, or null. */
    KernelProvider.ConvKernel.Layout internalInputLayout();

    /** The layout output 0 could be written in, or null. */
    KernelProvider.ConvKernel.Layout internalOutputLayout();

    /** This kernel with input 0 and/or output 0 in those layouts; null when it cannot after all. */
    Kernel withInternalLayouts(boolean input, boolean output);
}
