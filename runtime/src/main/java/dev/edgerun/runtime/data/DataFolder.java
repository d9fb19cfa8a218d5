package dev.edgerun.runtime.data;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Labelled samples read from a folder in any of DESIGN.md's "Data folders" layouts, turned into
 * model inputs by one {@link Preprocessing}:
 * <ol>
 *   <li>class subfolders of images ({@code .png .jpg .jpeg .bmp .gif}), {@code .wav} audio or
 *       {@code .npy}/{@code .pb} tensors; the folder name is the label;</li>
 *   <li>{@code images.npy} or {@code inputs.npy} (first axis: sample) with an optional {@code labels.npy};</li>
 *   <li>ONNX test folders {@code test_data_set_N/input_0.pb} (outputs are never inputs), with an
 *       optional {@code labels.npy} beside them.</li>
 * </ol>
 * A file that cannot be read is reported by name through the warning callback and skipped, or is
 * fatal when {@code strict}.
 */
public final class DataFolder {
    private static final List<String> IMAGE = List.of("png", "jpg", "jpeg", "bmp", "gif");

    private DataFolder() {}

    /** Reads {@code .pb} TensorProto files; the onnx-import module supplies one ({@code TensorProtos::read}). */
    @FunctionalInterface
    public interface TensorFileReader {
        Tensor read(Path file);
    }

    /** What to read and how strictly. */
    public record Options(Preprocessing preprocessing, boolean strict, TensorFileReader pbReader, Consumer<String> warnings) {
        public Options {
            if (warnings == null) warnings = w -> {};
        }

        public static Options of(Preprocessing p) {
            return new Options(p, false, null, null);
        }
    }

    /**
     * Samples (n, sample...) stacked in {@code data}, with class indices into {@code classes}
     * ({@code labels} null when the folder has none).
     */
    public record Samples(float[] data, int[] sampleShape, int[] labels, List<String> classes, List<String> files,
                          List<String> skipped) {
        public int count() {
            return files.size();
        }

        public int sampleSize() {
            int n = 1;
            for (int d : sampleShape) n *= d;
            return n;
        }

        public float[] sample(int i) {
            return Arrays.copyOfRange(data, i * sampleSize(), (i + 1) * sampleSize());
        }

        /** The samples at {@code indices}, in that order. */
        public Samples subset(int[] indices) {
            int s = sampleSize();
            float[] d = new float[indices.length * s];
            int[] l = labels == null ? null : new int[indices.length];
            List<String> f = new ArrayList<>();
            for (int i = 0; i < indices.length; i++) {
                System.arraycopy(data, indices[i] * s, d, i * s, s);
                if (l != null) l[i] = labels[indices[i]];
                f.add(files.get(indices[i]));
            }
            return new Samples(d, sampleShape, l, classes, f, skipped);
        }
    }

    public static Samples read(Path dir, Options o) {
        if (!Files.isDirectory(dir)) throw new DataException(dir + ": not a folder");
        List<Path> sets = children(dir).stream().filter(p -> Files.isDirectory(p) && name(p).startsWith("test_data_set_")).toList();
        if (!sets.isEmpty()) return readTestSets(dir, sets, o);
        for (String arrays : List.of("images.npy", "inputs.npy")) {
            if (Files.isRegularFile(dir.resolve(arrays))) return readArrays(dir, dir.resolve(arrays), o);
        }
        List<Path> classes = children(dir).stream().filter(Files::isDirectory).toList();
        if (!classes.isEmpty()) return readClassFolders(dir, classes, o);
        throw new DataException(dir + ": no data found; expected class subfolders, images.npy/inputs.npy (+ labels.npy)"
                + " or test_data_set_*/input_0.pb");
    }

    private static Samples readClassFolders(Path dir, List<Path> folders, Options o) {
        List<Path> sorted = new ArrayList<>(folders);
        sorted.sort(Comparator.comparing(DataFolder::name, DataFolder::naturalCompare));
        List<String> classes = sorted.stream().map(DataFolder::name).toList();
        Stacker st = new Stacker(o);
        for (int c = 0; c < sorted.size(); c++) {
            for (Path f : walk(sorted.get(c))) {
                float[] sample;
                try {
                    sample = readFile(f, o);
                } catch (RuntimeException e) {
                    st.fail(f, e);
                    continue;
                }
                st.add(f.toString(), sample, c);
            }
        }
        return st.build(dir, classes);
    }

    private static Samples readArrays(Path dir, Path arrays, Options o) {
        Stacker st = new Stacker(o);
        try (Tensor t = Npy.read(arrays)) {
            int n = (int) t.shape().dim(0);
            int[] per = Arrays.copyOfRange(t.shape().intDims(), 1, t.shape().rank());
            int[] labels = null;
            List<String> classes = List.of();
            Path labelFile = dir.resolve("labels.npy");
            if (Files.isRegularFile(labelFile)) {
                LabelValues lv = labelValues(labelFile, n);
                labels = lv.indices();
                classes = lv.classes();
            }
            float[] all = t.toFloatArrayConverted();
            int s = all.length / Math.max(1, n);
            for (int i = 0; i < n; i++) {
                float[] raw = Arrays.copyOfRange(all, i * s, (i + 1) * s);
                st.add(arrays + "[" + i + "]", toSample(raw, per, !t.dtype().isFloatingPoint(), o.preprocessing(), arrays),
                        labels == null ? -1 : labels[i]);
            }
            return st.build(dir, classes);
        }
    }

    private static Samples readTestSets(Path dir, List<Path> sets, Options o) {
        Stacker st = new Stacker(o);
        for (Path set : sets.stream().sorted(Comparator.comparing(DataFolder::name, DataFolder::naturalCompare)).toList()) {
            Path in = Files.isRegularFile(set.resolve("input_0.pb")) ? set.resolve("input_0.pb") : set.resolve("input_0.npy");
            try (Tensor t = readTensor(in, o)) {
                int per = o.preprocessing().sampleSize();
                float[] all = t.toFloatArrayConverted();
                int n = per > 0 && all.length % per == 0 ? all.length / per : 1;
                for (int i = 0; i < n; i++) st.add(in + "[" + i + "]", Arrays.copyOfRange(all, i * all.length / n, (i + 1) * all.length / n), -1);
            } catch (RuntimeException e) {
                st.fail(in, e);
            }
        }
        Path labelFile = dir.resolve("labels.npy");
        if (!Files.isRegularFile(labelFile)) return st.build(dir, List.of());
        LabelValues lv = labelValues(labelFile, st.count());
        st.relabel(lv.indices());
        return st.build(dir, lv.classes());
    }

    /** One file of a class folder to a sample. */
    public static float[] readFile(Path f, Options o) {
        String ext = extension(f);
        Preprocessing p = o.preprocessing();
        if (IMAGE.contains(ext)) return ImageInput.read(f, p);
        if (ext.equals("wav")) return AudioInput.read(f, p);
        if (ext.equals("npy") || ext.equals("pb")) {
            try (Tensor t = readTensor(f, o)) {
                int[] dims = t.shape().intDims();
                int[] per = dims.length > 0 && dims[0] == 1 && dims.length > p.sampleShape().length ? Arrays.copyOfRange(dims, 1, dims.length) : dims;
                return toSample(t.toFloatArrayConverted(), per, !t.dtype().isFloatingPoint(), p, f);
            }
        }
        throw new DataException(f + ": unknown file type '." + ext + "'; expected an image (" + IMAGE + "), .wav, .npy or .pb");
    }

    private static Tensor readTensor(Path f, Options o) {
        if (extension(f).equals("npy")) return Npy.read(f);
        if (o.pbReader() == null) throw new DataException(f + ": no reader for .pb tensors was supplied");
        return o.pbReader().read(f);
    }

    /** Integer arrays shaped like an image (H, W) or (H, W, C) are pixels: scaled and normalized like images. */
    private static float[] toSample(float[] raw, int[] shape, boolean integer, Preprocessing p, Path file) {
        if (integer && p.height() > 0 && (shape.length == 2 || shape.length == 3)) {
            int h = shape[0], w = shape[1], c = shape.length == 3 ? shape[2] : 1;
            if (h == p.height() && w == p.width() && c == p.channels()) return ImageInput.normalize(raw, h, w, c, p);
        }
        int want = p.sampleSize();
        if (want > 0 && raw.length != want) {
            throw new DataException(file + ": sample of shape " + Arrays.toString(shape) + " has " + raw.length
                    + " values; the model input takes " + Arrays.toString(p.sampleShape()));
        }
        return raw;
    }

    private record LabelValues(int[] indices, List<String> classes) {}

    private static LabelValues labelValues(Path file, int n) {
        long[] values;
        try (Tensor t = Npy.read(file)) {
            if (t.dtype().isFloatingPoint()) throw new DataException(file + ": labels must be integers, got " + t.dtype().onnxName());
            values = new long[(int) t.elementCount()];
            for (int i = 0; i < values.length; i++) values[i] = t.getAsLong(i);
        }
        if (values.length != n) throw new DataException(file + ": " + values.length + " labels for " + n + " samples");
        TreeSet<Long> distinct = new TreeSet<>();
        for (long v : values) distinct.add(v);
        List<Long> sorted = new ArrayList<>(distinct);
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = sorted.indexOf(values[i]);
        return new LabelValues(idx, sorted.stream().map(String::valueOf).toList());
    }

    /** Accumulates samples of one shape; reports or rethrows unreadable files. */
    private static final class Stacker {
        private final Options o;
        private final List<float[]> samples = new ArrayList<>();
        private final List<String> files = new ArrayList<>();
        private final List<String> skipped = new ArrayList<>();
        private int[] labels = new int[16];

        Stacker(Options o) {
            this.o = o;
        }

        int count() {
            return samples.size();
        }

        void add(String file, float[] sample, int label) {
            if (!samples.isEmpty() && sample.length != samples.get(0).length) {
                fail(Path.of(file), new DataException(file + ": " + sample.length + " values, but earlier samples have "
                        + samples.get(0).length));
                return;
            }
            if (samples.size() == labels.length) labels = Arrays.copyOf(labels, labels.length * 2);
            labels[samples.size()] = label;
            samples.add(sample);
            files.add(file);
        }

        void relabel(int[] l) {
            labels = l.clone();
        }

        void fail(Path f, RuntimeException e) {
            if (o.strict()) throw e instanceof DataException d ? d : new DataException(f + ": " + e.getMessage(), e);
            String why = String.valueOf(e.getMessage());
            String msg = "skipped " + (why.startsWith(f.toString()) ? why : f + ": " + why);
            skipped.add(msg);
            o.warnings().accept(msg);
        }

        Samples build(Path dir, List<String> classes) {
            if (samples.isEmpty()) throw new DataException(dir + ": no readable samples" + (skipped.isEmpty() ? "" : " (" + skipped.size() + " skipped)"));
            int s = samples.get(0).length;
            float[] data = new float[samples.size() * s];
            for (int i = 0; i < samples.size(); i++) System.arraycopy(samples.get(i), 0, data, i * s, s);
            int[] shape = o.preprocessing().sampleSize() == s ? o.preprocessing().sampleShape() : new int[] {s};
            int[] l = classes.isEmpty() ? null : Arrays.copyOf(labels, samples.size());
            return new Samples(data, shape, l, classes, files, skipped);
        }
    }

    private static List<Path> children(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !name(p).startsWith(".")).sorted(Comparator.comparing(DataFolder::name, DataFolder::naturalCompare)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
        }
    }

    private static List<Path> walk(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !name(p).startsWith("."))
                    .sorted(Comparator.comparing(Path::toString, DataFolder::naturalCompare)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
        }
    }

    /** Numbers compare by value ("2" before "10"), everything else by text. */
    static int naturalCompare(String a, String b) {
        if (a.matches("\\d{1,18}") && b.matches("\\d{1,18}")) return Long.compare(Long.parseLong(a), Long.parseLong(b));
        java.util.regex.Matcher ma = java.util.regex.Pattern.compile("(\\D*)(\\d{1,18})(.*)").matcher(a);
        java.util.regex.Matcher mb = java.util.regex.Pattern.compile("(\\D*)(\\d{1,18})(.*)").matcher(b);
        if (ma.matches() && mb.matches() && ma.group(1).equals(mb.group(1))) {
            int c = Long.compare(Long.parseLong(ma.group(2)), Long.parseLong(mb.group(2)));
            return c != 0 ? c : naturalCompare(ma.group(3), mb.group(3));
        }
        return a.compareTo(b);
    }

    private static String name(Path p) {
        return p.getFileName().toString();
    }

    private static String extension(Path p) {
        String n = name(p);
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
