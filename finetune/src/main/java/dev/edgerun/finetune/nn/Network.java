package dev.edgerun.finetune.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A chain of layers trained together, for one per-sample input shape. */
public final class Network {
    private final List<Layer> layers;
    private final int[] inputShape;

    public Network(List<Layer> layers, int[] inputShape) {
        this.layers = List.copyOf(layers);
        this.inputShape = inputShape.clone();
        outputShape(); // validates the chain
    }

    public static int size(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    public List<Layer> layers() { return layers; }
    public int[] inputShape() { return inputShape.clone(); }

    public int[] outputShape() {
        int[] s = inputShape;
        for (Layer l : layers) s = l.outputShape(s);
        return s;
    }

    public List<Param> params() {
        List<Param> p = new ArrayList<>();
        for (Layer l : layers) p.addAll(l.params());
        return p;
    }

    public List<Param> trainableParams() {
        return params().stream().filter(Param::trainable).toList();
    }

    public long parameterCount() {
        return params().stream().mapToLong(Param::size).sum();
    }

    /** {@code x}: (batch, input...) → (batch, output...). */
    public float[] forward(float[] x, int batch) {
        if (x.length != batch * size(inputShape)) {
            throw new IllegalArgumentException("network input has " + x.length + " values, expected " + batch + " x "
                    + Arrays.toString(inputShape));
        }
        int[] s = inputShape;
        for (Layer l : layers) {
            x = l.forward(x, batch, s);
            s = l.outputShape(s);
        }
        return x;
    }

    /** Back-propagates {@code dy} through every layer of the last forward; returns the input gradient. */
    public float[] backward(float[] dy) {
        for (int i = layers.size() - 1; i >= 0; i--) dy = layers.get(i).backward(dy);
        return dy;
    }

    public void zeroGrad() {
        for (Param p : params()) p.zeroGrad();
    }

    /** Writes every layer after {@code input}; returns the last output's name. */
    public String export(GraphSink sink, String input) {
        int[] s = inputShape;
        String name = input;
        for (Layer l : layers) {
            l.outputShape(s);
            name = l.export(sink, name);
            s = l.outputShape(s);
        }
        return name;
    }

    public String describe() {
        StringBuilder b = new StringBuilder();
        for (Layer l : layers) b.append(b.isEmpty() ? "" : " -> ").append(l.describe());
        return b.toString();
    }
}
