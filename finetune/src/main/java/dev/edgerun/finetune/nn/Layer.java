package dev.edgerun.finetune.nn;

import java.util.List;

/**
 * One differentiable step of a {@link Network}, on float arrays laid out batch first (NCHW for
 * images). Shapes passed around are per sample, without the batch axis. {@link #forward} keeps what
 * {@link #backward} needs, so a layer serves one forward/backward pair at a time.
 */
public interface Layer {

    /** A short description, such as {@code Conv 8->16 3x3}. */
    String describe();

    /** The ONNX operator this layer is exported as (the layer's kind in reports). */
    String opType();

    /** Output shape for one sample of shape {@code in}. */
    int[] outputShape(int[] in);

    /** {@code x}: (batch, in...); returns (batch, out...). */
    float[] forward(float[] x, int batch, int[] in);

    /**
     * Gradient of the loss with respect to this layer's input, given {@code dy} for its output of the
     * last {@link #forward}; adds the parameter gradients to {@link Param#grad}.
     */
    float[] backward(float[] dy);

    default List<Param> params() {
        return List.of();
    }

    /** Writes this layer as ONNX nodes reading {@code input}; returns the name of its output. */
    String export(GraphSink sink, String input);
}
