package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX TfIdfVectorizer (opset 9): counts the pool's n-grams (lengths min_gram_length to
 * max_gram_length, items up to max_skip_count apart) in each row of an int or string input
 * [C] or [B, C], and weights the counts (TF, IDF or TFIDF). The pool is loaded into a trie as
 * the ONNX reference does; unigrams are counted once whatever the skip.
 */
public final class TfIdfVectorizer implements Operator {

    /** A trie node: the 1-based id of the n-gram ending here (0: none), and the next items. */
    private static final class Gram {
        int id;
        Map<Object, Gram> next;
    }

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = ctx.inputDType(0);
        if (dtype != DType.STRING && dtype != DType.INT32 && dtype != DType.INT64) throw ctx.error("input must be string, int32 or int64, got " + dtype.onnxName());
        Shape shape = ctx.inputShape(0);
        if (shape.rank() > 2) throw ctx.error("input must be [C] or [B, C], got " + shape);
        int minGram = (int) ctx.attrInt("min_gram_length", 1);
        int maxGram = (int) ctx.attrInt("max_gram_length", 1);
        int maxSkip = (int) ctx.attrInt("max_skip_count", 0);
        String mode = ctx.attrString("mode", "TF");
        long[] counts = ctx.attrInts("ngram_counts", new long[0]);
        long[] indexes = ctx.attrInts("ngram_indexes", new long[0]);
        float[] weights = ctx.attrFloats("weights", new float[0]);
        List<Object> pool = new ArrayList<>();
        Attribute ints = ctx.node().attribute("pool_int64s");
        if (ints != null) for (long v : ints.asInts()) pool.add(v);
        else pool.addAll(ctx.attrStrings("pool_strings", List.of()));
        int outputSize = 0;
        for (long i : indexes) outputSize = (int) Math.max(outputSize, i + 1);
        Gram root = buildTrie(pool, counts, minGram, maxGram);
        int rows = shape.rank() == 2 ? (int) shape.dim(0) : 1;
        int columns = shape.rank() == 0 ? 1 : (int) shape.dim(shape.rank() - 1);
        Shape out = shape.rank() == 2 ? Shape.of(rows, outputSize) : Shape.of(outputSize);
        int size = outputSize;
        return Kernel.of(ValueType.tensor(DType.FLOAT, out), rc -> {
            long[] freq = new long[rows * size];
            Object[] items = items(rc.input(0));
            for (int r = 0; r < rows; r++) count(items, r * columns, columns, root, minGram, maxGram, maxSkip, indexes, freq, r * size);
            Tensor y = rc.output(0);
            for (int i = 0; i < freq.length; i++) {
                float w = weights.length > 0 ? weights[i % size] : 1f;
                float v = switch (mode) {
                    case "IDF" -> freq[i] > 0 ? w : 0f;
                    case "TFIDF" -> w * freq[i];
                    default -> freq[i];
                };
                y.setFloat(i, v);
            }
        });
    }

    private static Object[] items(Tensor x) {
        if (x.dtype() == DType.STRING) return x.toStringArray();
        Object[] r = new Object[(int) x.elementCount()];
        for (int i = 0; i < r.length; i++) r[i] = x.getAsLong(i);
        return r;
    }

    private static Gram buildTrie(List<Object> pool, long[] counts, int minGram, int maxGram) {
        Gram root = new Gram();
        root.next = new HashMap<>();
        int id = 1;
        for (int i = 0; i < counts.length; i++) {
            int n = i + 1;
            int start = (int) counts[i];
            int end = i + 1 < counts.length ? (int) counts[i + 1] : pool.size();
            int grams = (end - start) / n;
            if (n < minGram || n > maxGram) {
                id += grams;
                continue;
            }
            for (int g = 0; g < grams; g++) {
                Gram node = root;
                for (int k = 0; k < n; k++) {
                    Object item = pool.get(start + g * n + k);
                    Gram child = node.next.computeIfAbsent(item, key -> new Gram());
                    if (k == n - 1) {
                        child.id = id++;
                    } else if (child.next == null) {
                        child.next = new HashMap<>();
                    }
                    node = child;
                }
            }
        }
        return root;
    }

    private static void count(Object[] items, int begin, int length, Gram root, int minGram, int maxGram, int maxSkip,
                              long[] indexes, long[] freq, int outBase) {
        int end = begin + length;
        int startSize = minGram;
        for (int skip = 1; skip <= maxSkip + 1; skip++) {
            for (int start = begin; start < end; start++) {
                if (start + skip * (startSize - 1) >= end) break;
                Gram node = root;
                int size = 1;
                for (int at = start; node.next != null && !node.next.isEmpty() && size <= maxGram && at < end; at += skip) {
                    Gram hit = node.next.get(items[at]);
                    if (hit == null) break;
                    if (size >= startSize && hit.id != 0) freq[outBase + (int) indexes[hit.id - 1]]++;
                    node = hit;
                    size++;
                }
            }
            if (startSize == 1) {
                startSize++;
                if (startSize > maxGram) break;
            }
        }
    }

}
