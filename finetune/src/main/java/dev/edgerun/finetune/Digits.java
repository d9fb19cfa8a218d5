package dev.edgerun.finetune;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * The 8x8 handwritten digits bundled with the project (scikit-learn's copy of the UCI "Optical
 * Recognition of Handwritten Digits" data, CC BY 4.0): 1,797 images with pixel values 0..16, labels,
 * and a fixed train (0) / test (1) split of 1,347 / 450 images.
 */
public final class Digits {
    private static final String ROOT = "/dev/edgerun/finetune/digits/";

    /** Images as (n, 1, 8, 8) floats scaled to [0, 1], and their digit labels. */
    public record Set(float[] images, int[] digits) {
        public int count() {
            return digits.length;
        }
    }

    private final byte[] pixels;  // (1797, 8, 8)
    private final int[] labels;   // (1797)
    private final int[] split;    // (1797), 0 train, 1 test

    private Digits(byte[] pixels, int[] labels, int[] split) {
        this.pixels = pixels;
        this.labels = labels;
        this.split = split;
    }

    public static Digits load() {
        try (Tensor img = read("images_8x8_uint8.npy"); Tensor lab = read("labels_uint8.npy"); Tensor sp = read("split.npy")) {
            return new Digits(img.toByteArray(), ints(lab), ints(sp));
        }
    }

    /** The samples of {@code part} (0 train, 1 test) whose digit passes {@code keep}, at most {@code perClass} of each digit. */
    public Set select(int part, IntPredicate keep, int perClass) {
        List<Integer> idx = new ArrayList<>();
        int[] taken = new int[10];
        for (int i = 0; i < labels.length; i++) {
            if (split[i] != part || !keep.test(labels[i]) || taken[labels[i]] >= perClass) continue;
            taken[labels[i]]++;
            idx.add(i);
        }
        float[] x = new float[idx.size() * 64];
        int[] y = new int[idx.size()];
        for (int k = 0; k < idx.size(); k++) {
            int i = idx.get(k);
            for (int p = 0; p < 64; p++) x[k * 64 + p] = (pixels[i * 64 + p] & 0xff) / 16f;
            y[k] = labels[i];
        }
        return new Set(x, y);
    }

    private static Tensor read(String name) {
        try (InputStream in = Digits.class.getResourceAsStream(ROOT + name)) {
            if (in == null) throw new FinetuneException("bundled digits data missing from the class path: " + ROOT + name);
            return Npy.read(in, name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] ints(Tensor t) {
        int[] v = new int[(int) t.elementCount()];
        for (int i = 0; i < v.length; i++) v[i] = (int) t.getAsLong(i);
        return v;
    }
}
