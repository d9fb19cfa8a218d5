package dev.edgerun.finetune.nn;

import java.util.Arrays;

/**
 * A trainable (or frozen) parameter: its values, its gradient accumulated by the last backward pass,
 * and its ONNX shape.
 */
public final class Param {
    private final String name;
    private final int[] shape;
    public final float[] value;
    public final float[] grad;
    private boolean trainable = true;
    /** Weight decay applies to weights, not to biases and normalization parameters. */
    private final boolean decays;

    public Param(String name, float[] value, boolean decays, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        if (n != value.length) {
            throw new IllegalArgumentException("parameter " + name + ": " + value.length + " values for shape " + Arrays.toString(shape));
        }
        this.name = name;
        this.shape = shape.clone();
        this.value = value;
        this.grad = new float[value.length];
        this.decays = decays;
    }

    public String name() { return name; }
    public int[] shape() { return shape.clone(); }
    public long[] longShape() { return Arrays.stream(shape).asLongStream().toArray(); }
    public int size() { return value.length; }
    public boolean trainable() { return trainable; }
    public void trainable(boolean t) { trainable = t; }
    public boolean decays() { return decays; }

    public void zeroGrad() {
        Arrays.fill(grad, 0f);
    }
}
