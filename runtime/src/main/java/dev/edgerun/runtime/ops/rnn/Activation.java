package dev.edgerun.runtime.ops.rnn;

import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.ops.NodeContext;
import java.util.List;

/**
 * One activation function of a recurrent cell (the {@code activations} attribute of LSTM, GRU and
 * RNN) with its alpha and beta. Functions that take parameters consume them in order from the
 * {@code activation_alpha}/{@code activation_beta} lists, as ONNX Runtime does; missing ones take
 * the defaults of the matching ONNX operator.
 */
final class Activation {
    private enum Kind { RELU, TANH, SIGMOID, AFFINE, LEAKY_RELU, THRESHOLDED_RELU, SCALED_TANH, HARD_SIGMOID, ELU, SOFTSIGN, SOFTPLUS }

    private final Kind kind;
    private final float alpha;
    private final float beta;

    private Activation(Kind kind, float alpha, float beta) {
        this.kind = kind;
        this.alpha = alpha;
        this.beta = beta;
    }

    float apply(float x) {
        return switch (kind) {
            case RELU -> Math.max(x, 0f);
            case TANH -> (float) Math.tanh(x);
            case SIGMOID -> sigmoid(x);
            case AFFINE -> alpha * x + beta;
            case LEAKY_RELU -> x >= 0 ? x : alpha * x;
            case THRESHOLDED_RELU -> x > alpha ? x : 0f;
            case SCALED_TANH -> alpha * (float) Math.tanh(beta * x);
            case HARD_SIGMOID -> Math.max(0f, Math.min(1f, alpha * x + beta));
            case ELU -> x >= 0 ? x : alpha * ((float) Math.exp(x) - 1f);
            case SOFTSIGN -> x / (1f + Math.abs(x));
            case SOFTPLUS -> (float) Math.log1p(Math.exp(x));
        };
    }

    /**
     * The same function as an element-wise kernel operation (its parameters are {@link #alpha}
     * and {@link #beta}), so a cell can apply it to a whole gate vector; null when none matches.
     */
    F32UnaryOp unaryOp() {
        return switch (kind) {
            case RELU -> F32UnaryOp.RELU;
            case TANH -> F32UnaryOp.TANH;
            case SIGMOID -> F32UnaryOp.SIGMOID;
            case LEAKY_RELU -> F32UnaryOp.LEAKY_RELU;
            case THRESHOLDED_RELU -> F32UnaryOp.THRESHOLDED_RELU;
            case HARD_SIGMOID -> F32UnaryOp.HARD_SIGMOID;
            case ELU -> F32UnaryOp.ELU;
            case SOFTSIGN -> F32UnaryOp.SOFTSIGN;
            case SOFTPLUS -> F32UnaryOp.SOFTPLUS;
            case AFFINE, SCALED_TANH -> null;
        };
    }

    float alpha() {
        return alpha;
    }

    float beta() {
        return beta;
    }

    private static float sigmoid(float x) {
        // Written so that exp never overflows, for any x.
        if (x >= 0) return 1f / (1f + (float) Math.exp(-x));
        float e = (float) Math.exp(x);
        return e / (1f + e);
    }

    /**
     * The node's activations: {@code perDirection * numDirections} functions, the defaults
     * repeated per direction when the attribute is absent.
     */
    static Activation[] parse(NodeContext ctx, List<String> defaults, int numDirections) {
        int perDirection = defaults.size();
        List<String> names = ctx.attrStrings("activations", null);
        if (names == null) {
            names = new java.util.ArrayList<>();
            for (int d = 0; d < numDirections; d++) names.addAll(defaults);
        }
        if (names.size() != perDirection * numDirections) {
            throw ctx.error("attribute 'activations' must list " + perDirection * numDirections
                    + " functions (" + perDirection + " per direction), got " + names);
        }
        float[] alphas = ctx.attrFloats("activation_alpha", new float[0]);
        float[] betas = ctx.attrFloats("activation_beta", new float[0]);
        int ai = 0;
        int bi = 0;
        Activation[] result = new Activation[names.size()];
        for (int i = 0; i < result.length; i++) {
            Kind kind = kindOf(ctx, names.get(i));
            int alphaCount = alphaCount(kind);
            int betaCount = betaCount(kind);
            float alpha = alphaCount > 0 && ai < alphas.length ? alphas[ai++] : defaultAlpha(kind);
            float beta = betaCount > 0 && bi < betas.length ? betas[bi++] : defaultBeta(kind);
            result[i] = new Activation(kind, alpha, beta);
        }
        return result;
    }

    private static Kind kindOf(NodeContext ctx, String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "relu" -> Kind.RELU;
            case "tanh" -> Kind.TANH;
            case "sigmoid" -> Kind.SIGMOID;
            case "affine" -> Kind.AFFINE;
            case "leakyrelu" -> Kind.LEAKY_RELU;
            case "thresholdedrelu" -> Kind.THRESHOLDED_RELU;
            case "scaledtanh" -> Kind.SCALED_TANH;
            case "hardsigmoid" -> Kind.HARD_SIGMOID;
            case "elu" -> Kind.ELU;
            case "softsign" -> Kind.SOFTSIGN;
            case "softplus" -> Kind.SOFTPLUS;
            default -> throw ctx.error("unknown activation '" + name + "'; expected one of Relu, Tanh, Sigmoid,"
                    + " Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus");
        };
    }

    private static int alphaCount(Kind k) {
        return switch (k) {
            case AFFINE, LEAKY_RELU, THRESHOLDED_RELU, SCALED_TANH, HARD_SIGMOID, ELU -> 1;
            default -> 0;
        };
    }

    private static int betaCount(Kind k) {
        return switch (k) {
            case AFFINE, SCALED_TANH, HARD_SIGMOID -> 1;
            default -> 0;
        };
    }

    private static float defaultAlpha(Kind k) {
        return switch (k) {
            case LEAKY_RELU -> 0.01f;
            case HARD_SIGMOID -> 0.2f;
            default -> 1f;
        };
    }

    private static float defaultBeta(Kind k) {
        return switch (k) {
            case HARD_SIGMOID -> 0.5f;
            case AFFINE -> 0f;
            default -> 1f;
        };
    }
}
