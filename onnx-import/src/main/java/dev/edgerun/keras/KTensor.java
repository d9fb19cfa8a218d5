package dev.edgerun.keras;

import dev.edgerun.runtime.DType;
import java.util.Arrays;

/**
 * A Keras tensor during conversion: the IR value that holds it, the layout of that value, and its
 * Keras shape.
 *
 * <p><b>Layout.</b> Keras is channels-last ({@code N, H, W, C}); ONNX's Conv, Pool and friends are
 * channels-first ({@code N, C, H, W}). A layer that needs channels-first asks the
 * {@link GraphEmitter} for it, which inserts one Transpose and remembers it; its output stays
 * channels-first ({@code layout == CHANNELS_FIRST}) so that a chain of convolutions, pooling,
 * batch normalization and activations runs without transposes in between. Layers whose meaning
 * depends on element order (Flatten, Reshape, Dense over rank > 2, ...) and the model's outputs ask
 * for channels-last, which transposes back. Tensors of rank 2 or less have one layout.
 *
 * @param name   IR value name
 * @param layout layout of the IR value
 * @param shape  the Keras (channels-last) shape, batch first; -1 where unknown
 * @param dtype  element type
 */
public record KTensor(String name, Layout layout, long[] shape, DType dtype) {

    public enum Layout { CHANNELS_LAST, CHANNELS_FIRST }

    public KTensor {
        shape = shape.clone();
        if (shape.length <= 2) layout = Layout.CHANNELS_LAST;
    }

    public static KTensor channelsLast(String name, long[] shape, DType dtype) {
        return new KTensor(name, Layout.CHANNELS_LAST, shape, dtype);
    }

    /** A copy of the Keras shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Keras dimension {@code i} (negative counts from the end); -1 when unknown. */
    public long dim(int i) {
        return shape[i < 0 ? i + shape.length : i];
    }

    /** The number of channels (last Keras dimension). */
    public long channels() {
        return shape[shape.length - 1];
    }

    public boolean channelsFirst() {
        return layout == Layout.CHANNELS_FIRST;
    }

    /** Another value with the same layout and dtype. */
    public KTensor derive(String newName, long[] newShape) {
        return new KTensor(newName, layout, newShape, dtype);
    }

    /**
     * The position, in this tensor's IR layout, of Keras axis {@code kerasAxis} (negative counts
     * from the end).
     */
    public int irAxis(int kerasAxis) {
        int r = shape.length;
        int a = kerasAxis < 0 ? kerasAxis + r : kerasAxis;
        if (layout == Layout.CHANNELS_LAST || a == 0) return a;
        return a == r - 1 ? 1 : a + 1;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + (channelsFirst() ? " (channels-first)" : "");
    }
}
