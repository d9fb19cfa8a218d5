package dev.edgerun.finetune.nn;

import java.util.Locale;

/** Learning rate per epoch: constant, cosine decay to zero, or step decay. */
public record Schedule(Kind kind, int stepEpochs, double gamma) {
    public enum Kind { CONSTANT, COSINE, STEP }

    public static Schedule parse(String s) {
        String v = s.toLowerCase(Locale.ROOT);
        if (v.equals("constant")) return new Schedule(Kind.CONSTANT, 0, 1);
        if (v.equals("cosine")) return new Schedule(Kind.COSINE, 0, 1);
        if (v.startsWith("step")) {
            // step, step:N or step:N:GAMMA
            String[] p = v.split(":");
            int n = p.length > 1 ? Integer.parseInt(p[1]) : 10;
            double g = p.length > 2 ? Double.parseDouble(p[2]) : 0.1;
            if (n <= 0) throw new IllegalArgumentException("step schedule needs a positive epoch count, got " + n);
            return new Schedule(Kind.STEP, n, g);
        }
        throw new IllegalArgumentException("unknown schedule '" + s + "'; expected constant, cosine or step[:N[:GAMMA]]");
    }

    /** The learning rate of {@code epoch} (0-based) out of {@code epochs}. */
    public double rate(double base, int epoch, int epochs) {
        return switch (kind) {
            case CONSTANT -> base;
            case COSINE -> base * 0.5 * (1 + Math.cos(Math.PI * epoch / Math.max(1, epochs)));
            case STEP -> base * Math.pow(gamma, epoch / stepEpochs);
        };
    }
}
