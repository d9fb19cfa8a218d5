package dev.edgerun.finetune.nn;

import java.util.Arrays;
import java.util.List;

/**
 * Add or Mul of the activation and a parameter broadcast against it (numpy rules), such as a bias
 * added after a MatMul or a per-channel scale. The parameter trains like a weight of its own.
 */
public final class ConstBinary implements Layer {
    private final boolean multiply;
    private final Param operand;
    private final int[] operandShape; // full ONNX shape of the operand (may include a batch axis of 1)
    private float[] x;
    private int[] map; // per-sample element -> operand element
    private int batch;

    public ConstBinary(boolean multiply, Param operand) {
        this.multiply = multiply;
        this.operand = operand;
        this.operandShape = operand.shape();
    }

    @Override public String opType() { return multiply ? "Mul" : "Add"; }
    @Override public String describe() { return opType() + " " + Arrays.toString(operandShape); }

    @Override
    public int[] outputShape(int[] in) {
        int rank = in.length + 1;
        if (operandShape.length > rank || (operandShape.length == rank && operandShape[0] != 1)) {
            throw new IllegalArgumentException(describe() + ": operand must broadcast over the batch of (batch, "
                    + Arrays.toString(in) + ")");
        }
        int offset = in.length - Math.min(operandShape.length, in.length);
        int diff = operandShape.length - Math.min(operandShape.length, in.length);
        for (int i = offset; i < in.length; i++) {
            int od = operandShape[i - offset + diff];
            if (od != 1 && od != in[i]) {
                throw new IllegalArgumentException(describe() + ": operand does not broadcast against " + Arrays.toString(in));
            }
        }
        return in.clone();
    }

    private int[] indexMap(int[] in) {
        int n = Network.size(in);
        int[] m = new int[n];
        int diff = operandShape.length - Math.min(operandShape.length, in.length);
        int offset = in.length - (operandShape.length - diff);
        int[] idx = new int[in.length];
        for (int e = 0; e < n; e++) {
            int rem = e;
            for (int d = in.length - 1; d >= 0; d--) {
                idx[d] = rem % in[d];
                rem /= in[d];
            }
            int o = 0;
            for (int d = offset; d < in.length; d++) {
                int od = operandShape[d - offset + diff];
                o = o * od + (od == 1 ? 0 : idx[d]);
            }
            m[e] = o;
        }
        return m;
    }

    @Override
    public float[] forward(float[] x, int batch, int[] in) {
        outputShape(in);
        this.x = x;
        this.batch = batch;
        this.map = indexMap(in);
        int n = map.length;
        float[] y = new float[x.length];
        float[] p = operand.value;
        for (int b = 0; b < batch; b++) {
            for (int e = 0; e < n; e++) {
                int i = b * n + e;
                y[i] = multiply ? x[i] * p[map[e]] : x[i] + p[map[e]];
            }
        }
        return y;
    }

    @Override
    public float[] backward(float[] dy) {
        int n = map.length;
        float[] dx = new float[dy.length];
        float[] p = operand.value;
        for (int b = 0; b < batch; b++) {
            for (int e = 0; e < n; e++) {
                int i = b * n + e;
                if (multiply) {
                    dx[i] = dy[i] * p[map[e]];
                    operand.grad[map[e]] += dy[i] * x[i];
                } else {
                    dx[i] = dy[i];
                    operand.grad[map[e]] += dy[i];
                }
            }
        }
        return dx;
    }

    @Override
    public List<Param> params() {
        return List.of(operand);
    }

    @Override
    public String export(GraphSink sink, String input) {
        long[] dims = operand.longShape();
        return sink.node(opType(), List.of(input, sink.constant("operand", operand.value, dims)));
    }
}
