package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * ONNX StringNormalizer (opset 10): drops {@code stopwords} (compared case-insensitively unless
 * {@code is_case_sensitive}) from a [C] or [1, C] string tensor, then applies
 * {@code case_change_action} (LOWER, UPPER or NONE). When every string is dropped the output
 * holds one empty string.
 */
public final class StringNormalizer implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (ctx.inputDType(0) != DType.STRING) throw ctx.error("input must be strings, got " + ctx.inputDType(0).onnxName());
        Shape shape = ctx.inputShape(0);
        if (shape.rank() != 1 && !(shape.rank() == 2 && shape.dim(0) == 1)) throw ctx.error("input must be [C] or [1, C], got " + shape);
        String action = ctx.attrString("case_change_action", "NONE");
        if (!action.equals("NONE") && !action.equals("LOWER") && !action.equals("UPPER")) {
            throw ctx.error("case_change_action must be NONE, LOWER or UPPER, got " + action);
        }
        boolean caseSensitive = ctx.attrInt("is_case_sensitive", 0) != 0;
        String localeName = ctx.attrString("locale", "en_US");
        Locale locale = Locale.forLanguageTag(localeName.replace('_', '-'));
        Set<String> stopwords = new HashSet<>();
        for (String w : ctx.attrStrings("stopwords", List.of())) stopwords.add(caseSensitive ? w : w.toLowerCase(locale));
        boolean twoD = shape.rank() == 2;
        return Kernel.of(new ValueType.TensorType(DType.STRING, null), rc -> {
            List<String> kept = new ArrayList<>();
            for (String s : rc.input(0).toStringArray()) {
                if (stopwords.contains(caseSensitive ? s : s.toLowerCase(locale))) continue;
                kept.add(switch (action) {
                    case "LOWER" -> s.toLowerCase(locale);
                    case "UPPER" -> s.toUpperCase(locale);
                    default -> s;
                });
            }
            if (kept.isEmpty()) kept.add("");
            String[] out = kept.toArray(new String[0]);
            rc.setOutputValue(0, twoD ? Tensor.ofStrings(out, 1, out.length) : Tensor.ofStrings(out, out.length));
        });
    }
}
