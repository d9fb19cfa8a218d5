package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX StringSplit (opset 20): splits every string at {@code delimiter} (Python's str.split:
 * empty pieces between consecutive delimiters are kept), or at runs of whitespace when the
 * delimiter is absent or empty (empty pieces dropped), at most {@code maxsplit} times. Outputs
 * the pieces [X..., max pieces] padded with "" and their counts [X...] as int64.
 */
public final class StringSplit implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (ctx.inputDType(0) != DType.STRING) throw ctx.error("input must be strings, got " + ctx.inputDType(0).onnxName());
        String delimiter = ctx.attrString("delimiter", "");
        long maxSplit = ctx.attrInt("maxsplit", -1);
        Shape shape = ctx.inputShape(0);
        List<ValueType> types = List.of(new ValueType.TensorType(DType.STRING, null), ValueType.tensor(DType.INT64, shape));
        return Kernel.of(types, rc -> {
            String[] in = rc.input(0).toStringArray();
            List<List<String>> parts = new ArrayList<>(in.length);
            int widest = 0;
            for (int i = 0; i < in.length; i++) {
                List<String> p = split(in[i], delimiter, maxSplit);
                parts.add(p);
                widest = Math.max(widest, p.size());
                rc.output(1).data().setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, p.size());
            }
            String[] out = new String[in.length * widest];
            for (int i = 0; i < in.length; i++) {
                for (int j = 0; j < widest; j++) out[i * widest + j] = j < parts.get(i).size() ? parts.get(i).get(j) : "";
            }
            long[] dims = java.util.Arrays.copyOf(shape.dims(), shape.rank() + 1);
            dims[shape.rank()] = widest;
            rc.setOutputValue(0, Tensor.ofStrings(out, dims));
        });
    }

    static List<String> split(String s, String delimiter, long maxSplit) {
        List<String> out = new ArrayList<>();
        if (delimiter.isEmpty()) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && Character.isWhitespace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(s.substring(i).stripTrailing());
                    break;
                }
                int j = i;
                while (j < n && !Character.isWhitespace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        int from = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int at = s.indexOf(delimiter, from);
            if (at < 0) break;
            out.add(s.substring(from, at));
            from = at + delimiter.length();
        }
        out.add(s.substring(from));
        return out;
    }
}
