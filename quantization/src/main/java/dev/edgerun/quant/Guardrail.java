package dev.edgerun.quant;

import dev.edgerun.runtime.ir.Model;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps the most damaging layers in float, greedily, until an accuracy budget holds: quantize,
 * compare with the float model on the evaluation folder, and while the budget is missed put the
 * quantized node that adds the largest error ({@link LayerErrors}) back in float.
 */
public final class Guardrail {

    /** At most {@code maxAccuracyDrop} (a fraction: 0.002 is 0.2 points; needs labels) and/or at least {@code minAgreement} top-1 agreement; NaN = unset. */
    public record Budget(double maxAccuracyDrop, double minAgreement) {
        public Budget {
            if (Double.isNaN(maxAccuracyDrop) && Double.isNaN(minAgreement)) {
                throw new IllegalArgumentException("a budget needs --max-accuracy-drop or --min-agreement");
            }
        }

        boolean holds(Comparison.Result r) {
            boolean ok = true;
            if (!Double.isNaN(maxAccuracyDrop)) ok = r.accuracyDrop() <= maxAccuracyDrop + 1e-9;
            if (!Double.isNaN(minAgreement)) ok &= r.top1Agreement() >= minAgreement - 1e-9;
            return ok;
        }

        @Override
        public String toString() {
            List<String> parts = new ArrayList<>();
            if (!Double.isNaN(maxAccuracyDrop)) parts.add("accuracy drop <= " + maxAccuracyDrop);
            if (!Double.isNaN(minAgreement)) parts.add("top-1 agreement >= " + minAgreement);
            return String.join(" and ", parts);
        }
    }

    /** What the guardrail did: whether the budget holds, the nodes it kept in float (in order), quantizations tried. */
    public record Outcome(Budget budget, boolean met, List<String> keptFloat, int attempts) {}

    /** The quantized result meeting the budget (or the last tried, with {@code met == false}) and the outcome. */
    public record Guarded(Quantizer.Result result, Comparison.Result comparison, Outcome outcome) {}

    private Guardrail() {}

    static Guarded apply(Quantizer.Prepared prepared, Model model, QuantOptions options, DataFolder eval, Budget budget) {
        if (!Double.isNaN(budget.maxAccuracyDrop()) && !eval.hasLabels()) {
            throw new QuantizationException("--max-accuracy-drop needs labels in the evaluation folder " + eval.dir()
                    + " (labels.npy or --labels FILE); use --min-agreement without labels");
        }
        Set<String> kept = new LinkedHashSet<>();
        for (int attempt = 1; ; attempt++) {
            Set<String> exclude = new LinkedHashSet<>(options.excludeNodes());
            exclude.addAll(kept);
            Quantizer.Result q = prepared.quantize(options.toBuilder().excludeNodes(exclude).build());
            Comparison.Result cmp = Comparison.compare(model, q.model(), eval);
            if (budget.holds(cmp) || q.quantizedNodes().isEmpty()) {
                return new Guarded(q, cmp, new Outcome(budget, budget.holds(cmp), List.copyOf(kept), attempt));
            }
            String worst = worstLayer(model, q, eval);
            if (worst == null) return new Guarded(q, cmp, new Outcome(budget, false, List.copyOf(kept), attempt));
            kept.add(worst);
            q.close();
        }
    }

    private static String worstLayer(Model model, Quantizer.Result q, DataFolder eval) {
        for (LayerErrors.LayerError e : LayerErrors.measure(model, q.model(), q.quantizedNodes(), eval, 64)) {
            if (q.quantizedNodes().contains(e.node())) return e.node();
        }
        return null;
    }
}
