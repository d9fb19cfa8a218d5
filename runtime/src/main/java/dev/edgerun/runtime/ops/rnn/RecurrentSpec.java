package dev.edgerun.runtime.ops.rnn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.NodeContext;
import java.util.ArrayList;
import java.util.List;

/**
 * What LSTM, GRU and RNN share: the direction, the sizes, the layout, the clip and the
 * activations, the checks on X/W/R/B/sequence_lens/initial_h, and the offsets of one time step
 * and batch item in X, Y and the state tensors. Inputs: 0 X, 1 W, 2 R, 3 B, 4 sequence_lens,
 * 5 initial_h; outputs: 0 Y, 1 Y_h (LSTM adds inputs 6 initial_c, 7 P and output 2 Y_c).
 */
final class RecurrentSpec {
    final int numDirections;
    final boolean reverseOnly;       // direction == "reverse"
    final int seqLength;
    final int batch;
    final int inputSize;
    final int hidden;
    final int gates;                 // rows of W per hidden unit: 4 LSTM, 3 GRU, 1 RNN
    final boolean batchFirst;        // layout == 1
    final float clip;                // +inf when absent
    final Activation[] activations;  // perDirection * numDirections
    final int activationsPerDirection;
    final boolean hasBias;
    final boolean hasSequenceLens;
    final boolean hasInitialH;
    final boolean[] wantOutput;

    RecurrentSpec(NodeContext ctx, int gates, List<String> defaultActivations, int outputs) {
        this.gates = gates;
        String direction = ctx.attrString("direction", "forward");
        switch (direction) {
            case "forward" -> { numDirections = 1; reverseOnly = false; }
            case "reverse" -> { numDirections = 1; reverseOnly = true; }
            case "bidirectional" -> { numDirections = 2; reverseOnly = false; }
            default -> throw ctx.error("attribute 'direction' must be forward, reverse or bidirectional, got '" + direction + "'");
        }
        batchFirst = ctx.attrInt("layout", 0) == 1;
        for (int i = 0; i < 3; i++) {
            if (ctx.inputDType(i) != DType.FLOAT) throw ctx.unsupported("dtype " + ctx.inputDType(i).onnxName() + " (float only)");
        }
        Shape x = ctx.inputShape(0);
        if (x.rank() != 3) throw ctx.error("input X must have rank 3, got " + x);
        seqLength = (int) (batchFirst ? x.dim(1) : x.dim(0));
        batch = (int) (batchFirst ? x.dim(0) : x.dim(1));
        inputSize = (int) x.dim(2);
        Shape w = ctx.inputShape(1);
        long hiddenAttr = ctx.attrInt("hidden_size", -1);
        hidden = (int) (hiddenAttr > 0 ? hiddenAttr : w.dim(1) / gates);
        expectShape(ctx, 1, "W", Shape.of(numDirections, (long) gates * hidden, inputSize));
        expectShape(ctx, 2, "R", Shape.of(numDirections, (long) gates * hidden, hidden));
        hasBias = ctx.hasInput(3);
        if (hasBias) expectShape(ctx, 3, "B", Shape.of(numDirections, 2L * gates * hidden));
        hasSequenceLens = ctx.hasInput(4);
        if (hasSequenceLens) {
            if (ctx.inputDType(4) != DType.INT32) throw ctx.error("input sequence_lens must be int32, got " + ctx.inputDType(4).onnxName());
            expectShape(ctx, 4, "sequence_lens", Shape.of(batch));
        }
        hasInitialH = ctx.hasInput(5);
        if (hasInitialH) expectShape(ctx, 5, "initial_h", stateShape());
        float clipAttr = ctx.attrFloat("clip", Float.POSITIVE_INFINITY);
        clip = clipAttr > 0 ? clipAttr : Float.POSITIVE_INFINITY;
        activationsPerDirection = defaultActivations.size();
        activations = Activation.parse(ctx, defaultActivations, numDirections);
        wantOutput = new boolean[outputs];
        for (int i = 0; i < outputs; i++) wantOutput[i] = ctx.hasOutput(i);
    }

    void expectShape(NodeContext ctx, int input, String name, Shape expected) {
        Shape actual = ctx.inputShape(input);
        if (!actual.sameDims(expected)) {
            throw ctx.error("input " + name + " must have shape " + expected + ", got " + actual);
        }
        if (ctx.inputDType(input) != DType.FLOAT && input != 4) {
            throw ctx.unsupported("input " + name + " of dtype " + ctx.inputDType(input).onnxName() + " (float only)");
        }
    }

    Shape stateShape() {
        return batchFirst ? Shape.of(batch, numDirections, hidden) : Shape.of(numDirections, batch, hidden);
    }

    Shape yShape() {
        return batchFirst ? Shape.of(batch, seqLength, numDirections, hidden)
                : Shape.of(seqLength, numDirections, batch, hidden);
    }

    /** Y, then {@code states} state outputs (Y_h, and Y_c for LSTM). */
    List<ValueType> outputTypes(int states) {
        List<ValueType> types = new ArrayList<>();
        types.add(ValueType.tensor(DType.FLOAT, yShape()));
        for (int i = 0; i < states; i++) types.add(ValueType.tensor(DType.FLOAT, stateShape()));
        return types;
    }

    /** Whether direction {@code d} runs backwards in time. */
    boolean reversed(int d) {
        return reverseOnly || d == 1;
    }

    Activation activation(int d, int i) {
        return activations[d * activationsPerDirection + i];
    }

    /** Element offset of X[t, b, 0] (layout-aware). */
    long xOffset(int t, int b) {
        return (batchFirst ? (long) b * seqLength + t : (long) t * batch + b) * inputSize;
    }

    /** Element offset of Y[t, d, b, 0] (layout-aware). */
    long yOffset(int t, int d, int b) {
        return (batchFirst ? ((long) b * seqLength + t) * numDirections + d : ((long) t * numDirections + d) * batch + b) * hidden;
    }

    /** Element offset of a state tensor (initial_h, Y_h, ...) at [d, b, 0] (layout-aware). */
    long stateOffset(int d, int b) {
        return (batchFirst ? (long) b * numDirections + d : (long) d * batch + b) * hidden;
    }

    float clip(float x) {
        return Math.max(-clip, Math.min(clip, x));
    }
}
