package dev.edgerun.quant;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a quantization cost and gained: sizes, agreement with the float model per output, accuracy
 * (with labels), the error each quantized node introduces, latency on each engine, and what the
 * guardrail kept in float. {@link #toJson()} gives the stable keys of {@code edgerun quantize --json}.
 *
 * @param comparison null without an evaluation folder
 * @param guardrail  null without a budget
 */
public record QuantReport(QuantOptions options, String output, long sizeBytesFloat, long sizeBytesQuantized,
                          List<String> quantizedNodes, List<String> keptFloat, Comparison.Result comparison,
                          List<LayerErrors.LayerError> layers, List<Latency.EngineLatency> latencies,
                          Guardrail.Outcome guardrail) {

    public double sizeRatio() {
        return sizeBytesQuantized / (double) sizeBytesFloat;
    }

    /** A document of numbers, strings, lists and maps (NaN written as null). */
    public Map<String, Object> toJson() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("mode", options.mode().cliName());
        d.put("output", output);
        d.put("engines", options.engines());
        d.put("size_bytes_float", sizeBytesFloat);
        d.put("size_bytes_quantized", sizeBytesQuantized);
        d.put("size_ratio", num(sizeRatio()));
        d.put("quantized_nodes", quantizedNodes);
        d.put("kept_float", keptFloat);
        if (comparison != null) {
            d.put("samples", comparison.samples());
            d.put("top1_agreement", num(comparison.top1Agreement()));
            d.put("cosine_min", num(comparison.cosineMin()));
            if (!Double.isNaN(comparison.accuracyFloat())) {
                d.put("accuracy_float", num(comparison.accuracyFloat()));
                d.put("accuracy_quantized", num(comparison.accuracyQuantized()));
                d.put("accuracy_drop", num(comparison.accuracyDrop()));
            }
            List<Object> outs = new ArrayList<>();
            for (Comparison.OutputStats o : comparison.outputs()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", o.name());
                m.put("cosine_min", num(o.cosineMin()));
                m.put("cosine_mean", num(o.cosineMean()));
                m.put("max_abs_error", num(o.maxAbsError()));
                m.put("top1_agreement", num(o.top1Agreement()));
                outs.add(m);
            }
            d.put("outputs", outs);
        }
        List<Object> ls = new ArrayList<>();
        for (LayerErrors.LayerError e : layers) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", e.node());
            m.put("op", e.opType());
            m.put("tensor", e.tensor());
            m.put("relative_error", num(e.relativeError()));
            m.put("added_error", num(e.addedError()));
            ls.add(m);
        }
        d.put("layers", ls);
        List<Object> lat = new ArrayList<>();
        for (Latency.EngineLatency l : latencies) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("engine", l.engine());
            m.put("float_ms", num(l.floatMs()));
            m.put("quantized_ms", num(l.quantizedMs()));
            m.put("speedup", num(l.speedup()));
            if (l.error() != null) m.put("error", l.error());
            lat.add(m);
        }
        d.put("latency", lat);
        if (guardrail != null) {
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("budget", guardrail.budget().toString());
            g.put("met", guardrail.met());
            g.put("kept_float", guardrail.keptFloat());
            g.put("attempts", guardrail.attempts());
            d.put("guardrail", g);
        }
        return d;
    }

    /** The human-readable report. */
    public String toText() {
        StringBuilder b = new StringBuilder();
        line(b, "mode %s for %s: wrote %s", options.mode().cliName(), options.engines(), output);
        line(b, "size: %s -> %s (%.3fx)", bytes(sizeBytesFloat), bytes(sizeBytesQuantized), sizeRatio());
        line(b, "quantized %d node(s); kept in float: %s", quantizedNodes.size(), keptFloat.isEmpty() ? "none" : String.join(", ", keptFloat));
        if (comparison != null) {
            line(b, "evaluation over %d sample(s):", comparison.samples());
            for (Comparison.OutputStats o : comparison.outputs()) {
                line(b, "  output %-20s cosine min %.6f mean %.6f, max abs error %.4g, top-1 agreement %s", o.name(),
                        o.cosineMin(), o.cosineMean(), o.maxAbsError(), pct(o.top1Agreement()));
            }
            if (!Double.isNaN(comparison.accuracyFloat())) {
                line(b, "  accuracy: float %s, quantized %s (drop %.2f points)", pct(comparison.accuracyFloat()),
                        pct(comparison.accuracyQuantized()), 100 * comparison.accuracyDrop());
            }
        }
        if (!layers.isEmpty()) {
            line(b, "error per quantized node (relative to float, worst added first):");
            for (LayerErrors.LayerError e : layers.subList(0, Math.min(layers.size(), 15))) {
                line(b, "  %-32s %-18s relative %.4f  added %+.4f", e.node(), e.opType(), e.relativeError(), e.addedError());
            }
            if (layers.size() > 15) line(b, "  ... %d more (--json lists all)", layers.size() - 15);
        }
        for (Latency.EngineLatency l : latencies) {
            if (l.error() != null) line(b, "latency %-12s: cannot run: %s", l.engine(), l.error());
            else line(b, "latency %-12s: float %.3f ms, quantized %.3f ms (%.2fx)", l.engine(), l.floatMs(), l.quantizedMs(), l.speedup());
        }
        if (guardrail != null) {
            line(b, "guardrail (%s): %s after %d attempt(s); kept in float: %s", guardrail.budget(),
                    guardrail.met() ? "met" : "NOT met", guardrail.attempts(),
                    guardrail.keptFloat().isEmpty() ? "none" : String.join(", ", guardrail.keptFloat()));
        }
        return b.toString();
    }

    private static Object num(double v) {
        return Double.isFinite(v) ? (Object) v : null;
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    private static String bytes(long n) {
        return n < 1 << 20 ? String.format(Locale.ROOT, "%.1f KiB", n / 1024.0) : String.format(Locale.ROOT, "%.2f MiB", n / 1048576.0);
    }

    private static void line(StringBuilder b, String fmt, Object... args) {
        b.append(String.format(Locale.ROOT, fmt, args)).append('\n');
    }
}
