package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX Einsum (opset 12): any equation in Einstein notation, with "..." for broadcast dimensions
 * and the implicit output (labels used once, alphabetical) when "->" is absent. A repeated label
 * within one operand reads its diagonal. Evaluated by one walk over every label combination
 * (output labels first, then the summed ones), which suits the small contractions models use.
 */
public final class Einsum implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        String equation = ctx.attrString("equation", null);
        if (equation == null) throw ctx.error("attribute 'equation' is required");
        equation = equation.replace(" ", "");
        int n = ctx.inputCount();
        DType dtype = ctx.inputDType(0);
        if (!Elements.supported(dtype) || dtype == DType.BOOL) throw ctx.unsupported("dtype " + dtype.onnxName());
        String[] sides = equation.split("->", -1);
        String[] terms = sides[0].split(",", -1);
        if (terms.length != n) throw ctx.error("equation '" + equation + "' has " + terms.length + " operands, node has " + n + " inputs");

        // '.' labels the ellipsis dimensions as upper code points so that they never clash with letters
        Map<Character, Long> dims = new LinkedHashMap<>();
        List<String> expanded = new ArrayList<>();
        int ellipsisRank = 0;
        for (int i = 0; i < n; i++) {
            Shape s = ctx.inputShape(i);
            int letters = terms[i].replace("...", "").length();
            if (terms[i].contains("...")) ellipsisRank = Math.max(ellipsisRank, s.rank() - letters);
        }
        for (int i = 0; i < n; i++) {
            Shape s = ctx.inputShape(i);
            String term = expandEllipsis(terms[i], s.rank() - terms[i].replace("...", "").length());
            if (term.length() != s.rank()) throw ctx.error("operand " + i + " '" + terms[i] + "' does not match rank of " + s);
            for (int d = 0; d < term.length(); d++) {
                char c = term.charAt(d);
                long size = s.dim(d);
                Long known = dims.get(c);
                if (known == null || known == 1) dims.put(c, size);
                else if (size != known && size != 1) throw ctx.error("label '" + c + "' has sizes " + known + " and " + size);
            }
            expanded.add(term);
        }
        String outTerm;
        if (sides.length == 2) {
            outTerm = expandEllipsis(sides[1], ellipsisRank);
        } else {
            StringBuilder b = new StringBuilder(expandEllipsis("...", ellipsisRank));
            String all = String.join("", expanded);
            all.chars().filter(Character::isLetter).distinct().sorted()
                    .filter(c -> all.indexOf(c) == all.lastIndexOf(c)).forEach(c -> b.append((char) c));
            outTerm = b.toString();
        }
        List<Character> labels = new ArrayList<>();
        for (char c : outTerm.toCharArray()) labels.add(c);
        for (char c : dims.keySet()) if (!labels.contains(c)) labels.add(c);
        int nl = labels.size();
        long[] sizes = new long[nl];
        for (int l = 0; l < nl; l++) sizes[l] = dims.get(labels.get(l));
        long[] outDims = new long[outTerm.length()];
        for (int d = 0; d < outDims.length; d++) outDims[d] = dims.get(outTerm.charAt(d));
        long[][] strides = new long[n + 1][nl];
        for (int i = 0; i < n; i++) fillStrides(expanded.get(i), ctx.inputShape(i).dims(), labels, strides[i]);
        fillStrides(outTerm, outDims, labels, strides[n]);
        Shape outShape = Shape.of(outDims);
        long total = 1;
        for (long sz : sizes) total *= sz;
        long count = total;
        return Kernel.of(ValueType.tensor(dtype, outShape), rc -> run(rc, dtype, n, sizes, strides, count, outShape.elementCount()));
    }

    private static String expandEllipsis(String term, int rank) {
        if (!term.contains("...")) return term;
        StringBuilder e = new StringBuilder();
        for (int k = 0; k < rank; k++) e.append((char) ('\u0100' + k));
        return term.replace("...", e);
    }

    /** Element strides of each label in an operand (summed when a label repeats: a diagonal); 0 for size-1 broadcast. */
    private static void fillStrides(String term, long[] shape, List<Character> labels, long[] out) {
        long stride = 1;
        for (int d = term.length() - 1; d >= 0; d--) {
            if (shape[d] != 1) out[labels.indexOf(term.charAt(d))] += stride;
            stride *= shape[d];
        }
    }

    private static void run(RunContext rc, DType dtype, int n, long[] sizes, long[][] strides, long total, long outCount) {
        MemorySegment out = rc.output(0).data();
        for (long i = 0; i < outCount; i++) Elements.put(out, dtype, i, 0);
        if (total == 0) return;
        int nl = sizes.length;
        long[] index = new long[nl];
        long[] offsets = new long[n + 1];
        MemorySegment[] in = new MemorySegment[n];
        for (int i = 0; i < n; i++) in[i] = rc.input(i).data();
        for (long step = 0; step < total; step++) {
            double product = 1;
            for (int i = 0; i < n; i++) product *= Elements.get(in[i], dtype, offsets[i]);
            Elements.put(out, dtype, offsets[n], Elements.get(out, dtype, offsets[n]) + product);
            for (int l = nl - 1; l >= 0; l--) {
                if (++index[l] < sizes[l]) {
                    for (int i = 0; i <= n; i++) offsets[i] += strides[i][l];
                    break;
                }
                index[l] = 0;
                for (int i = 0; i <= n; i++) offsets[i] -= strides[i][l] * (sizes[l] - 1);
            }
        }
    }
}
