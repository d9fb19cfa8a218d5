package dev.edgerun.keras;

import java.util.Arrays;

/**
 * One stored weight of a Keras layer, as float32 in Keras' own layout (a Dense kernel is
 * (in, out), a Conv2D kernel (h, w, in, out), an LSTM kernel (in, 4 * units) with gates i, f, c, o).
 *
 * @param name  where it was found in the file, for messages ({@code dense/kernel:0}, {@code layers/dense/vars/0})
 * @param shape Keras shape
 * @param data  row-major elements
 */
public record Weight(String name, long[] shape, float[] data) {

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i < 0 ? i + shape.length : i];
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
