package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.ValueLayout;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * ONNX RegexFullMatch (opset 20): whether each string matches {@code pattern} entirely. The
 * spec's patterns are RE2; java.util.regex accepts the RE2 syntax the spec's examples use.
 */
public final class RegexFullMatch implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (ctx.inputDType(0) != DType.STRING) throw ctx.error("input must be strings, got " + ctx.inputDType(0).onnxName());
        String source = ctx.attrString("pattern", null);
        if (source == null) throw ctx.error("attribute 'pattern' is required");
        Pattern pattern;
        try {
            pattern = Pattern.compile(source);
        } catch (PatternSyntaxException e) {
            throw ctx.error("pattern '" + source + "' is invalid: " + e.getDescription());
        }
        return Kernel.of(ValueType.tensor(DType.BOOL, ctx.inputShape(0)), rc -> {
            String[] in = rc.input(0).toStringArray();
            for (int i = 0; i < in.length; i++) {
                rc.output(0).data().set(ValueLayout.JAVA_BYTE, i, (byte) (pattern.matcher(in[i]).matches() ? 1 : 0));
            }
        });
    }
}
