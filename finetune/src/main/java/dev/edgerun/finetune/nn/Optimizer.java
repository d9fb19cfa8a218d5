package dev.edgerun.finetune.nn;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * SGD with momentum, Adam and AdamW. Weight decay is added to the gradient (L2) for SGD and Adam,
 * and applied to the weights directly (decoupled) for AdamW; biases and normalization parameters do
 * not decay.
 */
public final class Optimizer {
    public enum Kind {
        SGD, ADAM, ADAMW;

        public static Kind parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "sgd" -> SGD;
                case "adam" -> ADAM;
                case "adamw" -> ADAMW;
                default -> throw new IllegalArgumentException("unknown optimizer '" + s + "'; expected adam, adamw or sgd");
            };
        }
    }

    private final Kind kind;
    private final float momentum, beta1, beta2, eps, weightDecay;
    private final Map<Param, float[][]> state = new HashMap<>(); // param -> {m, v}
    private long steps;

    public Optimizer(Kind kind, float momentum, float weightDecay) {
        this.kind = kind;
        this.momentum = momentum;
        this.beta1 = 0.9f;
        this.beta2 = 0.999f;
        this.eps = 1e-8f;
        this.weightDecay = weightDecay;
    }

    public Kind kind() { return kind; }
    public long steps() { return steps; }

    /** The moment buffers of {@code p} ({@code [m, v]}), created on first use; checkpoints save them. */
    public float[][] state(Param p) {
        return state.computeIfAbsent(p, q -> new float[][] {new float[q.size()], new float[q.size()]});
    }

    public void restore(long steps) {
        this.steps = steps;
    }

    public void step(List<Param> params, float lr) {
        steps++;
        double bc1 = 1 - Math.pow(beta1, steps), bc2 = 1 - Math.pow(beta2, steps);
        for (Param p : params) {
            if (!p.trainable()) continue;
            float[][] s = state(p);
            float[] w = p.value, g = p.grad, m = s[0], v = s[1];
            float decay = p.decays() ? weightDecay : 0f;
            for (int i = 0; i < w.length; i++) {
                float gi = g[i];
                switch (kind) {
                    case SGD -> {
                        gi += decay * w[i];
                        m[i] = momentum * m[i] + gi;
                        w[i] -= lr * m[i];
                    }
                    case ADAM, ADAMW -> {
                        if (kind == Kind.ADAM) gi += decay * w[i];
                        else w[i] -= lr * decay * w[i];
                        m[i] = beta1 * m[i] + (1 - beta1) * gi;
                        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                        w[i] -= (float) (lr * (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + eps));
                    }
                }
            }
        }
    }
}
