package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.function.Consumer;
import jdk.incubator.vector.VectorSpecies;

/**
 * Random input, weights and quantization of an 8-bit depthwise 3x3 convolution with one pixel of
 * padding before (the tests of {@link Q8Depthwise3x3} and {@link Q8Depthwise3x3Stride2Phases}),
 * owned until closed: in extreme cases weights of +-127, inputs at both ends of the byte range
 * and biases of +-{@code extremeBias}; multipliers about {@code multiplier}, per channel or one.
 */
final class Q8DepthwiseInputs implements AutoCloseable {
    final Tensor x, w;
    final KernelProvider.Q8ConvSpec spec;
    private final long[] ys;

    Q8DepthwiseInputs(long seed, long[] xs, long[] ys, int stride, boolean xSigned, boolean perChannel, boolean clamp,
                      boolean extreme, int extremeBias, float multiplier) {
        this.ys = ys;
        int c = (int) xs[1];
        Random rnd = new Random(seed);
        byte[] xb = new byte[(int) (xs[0] * xs[1] * xs[2] * xs[3])], wb = new byte[c * 9];
        rnd.nextBytes(xb);
        for (int i = 0; i < wb.length; i++) wb[i] = (byte) (extreme ? (rnd.nextBoolean() ? 127 : -127) : rnd.nextInt(255) - 127);
        if (extreme) for (int i = 0; i < xb.length; i++) xb[i] = (byte) (rnd.nextBoolean() ? 0x7f : 0x80);
        int[] bias = new int[c];
        float[] mult = new float[c];
        float scale = multiplier * (0.5f + rnd.nextFloat());
        for (int k = 0; k < c; k++) {
            bias[k] = extreme ? (rnd.nextBoolean() ? extremeBias : -extremeBias) : rnd.nextInt(4001) - 2000;
            mult[k] = perChannel ? multiplier * (0.5f + rnd.nextFloat()) : scale;
        }
        long[] ws = {c, 1, 3, 3};
        x = Tensor.of(xSigned ? DType.INT8 : DType.UINT8, xb, xs);
        w = Tensor.of(DType.INT8, wb, ws);
        var geometry = new KernelProvider.ConvSpec(x.dtype(), xs, ws, ys, c, new int[] {stride, stride},
                new int[] {1, 1}, new int[] {1, 1}, w, null);
        int zx = xSigned ? -3 : 121, zy = 103;
        spec = new KernelProvider.Q8ConvSpec(geometry, xSigned, zx, bias, mult, false, zy, clamp ? zy : 0, clamp ? 193 : 255);
    }

    /** Images times channels. */
    int planes() {
        return (int) (x.shape().dim(0) * x.shape().dim(1));
    }

    /** The output bytes {@code kernel} writes into a fresh Y. */
    byte[] run(Consumer<MemorySegment> kernel) {
        try (Tensor y = Tensor.allocate(DType.UINT8, ys)) {
            kernel.accept(y.data());
            return y.toByteArray();
        }
    }

    /** Q8DepthwiseConv's bytes at {@code species} (null: scalar) on {@code par}. */
    byte[] conv(VectorSpecies<Float> species, Parallel par) {
        try (Arena arena = Arena.ofShared()) {
            Q8DepthwiseConv kernel = new Q8DepthwiseConv(spec, species);
            MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 1, 64);
            return run(y -> kernel.run(x.data(), y, scratch, par));
        }
    }

    @Override
    public void close() {
        x.close();
        w.close();
    }
}
