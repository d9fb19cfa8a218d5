package dev.edgerun.quant;

import dev.edgerun.onnx.TensorProtos;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Value;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Samples for calibration and evaluation, read from a folder in any layout of DESIGN.md's "Data
 * folders": class subfolders of {@code .npy}/{@code .pb} tensors (the folder name is the label),
 * {@code images.npy} or {@code inputs.npy} with an optional {@code labels.npy}, or ONNX test folders
 * ({@code test_data_set_N/input_K.pb}, with an optional {@code labels.npy} beside them). Inputs are
 * held stacked along a first, sample axis ({@code (samples, ...)}), converted to the model's input
 * type. Images and audio files are not read here: their preprocessing belongs to fine-tuning.
 */
public final class DataFolder implements AutoCloseable {
    private static final Pattern DATA_SET = Pattern.compile("^test_data_set_(\\d+)$");
    private static final Pattern INPUT = Pattern.compile("^input_(\\d+)\\.(pb|npy)$");

    private final Path dir;
    private final Map<String, Tensor> inputs; // name -> (samples, ...)
    private final long[] labels;               // (samples), or null
    private final int samples;
    private final boolean owner;

    private DataFolder(Path dir, Map<String, Tensor> inputs, long[] labels) {
        this(dir, inputs, labels, true);
    }

    private DataFolder(Path dir, Map<String, Tensor> inputs, long[] labels, boolean owner) {
        this.dir = dir;
        this.owner = owner;
        this.inputs = inputs;
        this.samples = (int) inputs.values().iterator().next().shape().dim(0);
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
            if (e.getValue().shape().rank() == 0 || e.getValue().shape().dim(0) != samples) {
                throw new QuantizationException(dir + ": input '" + e.getKey() + "' has " + e.getValue().shape()
                        + ", expected " + samples + " samples along the first axis");
            }
        }
        if (labels != null && labels.length != samples) {
            throw new QuantizationException(dir + ": " + labels.length + " labels for " + samples + " samples");
        }
        this.labels = labels;
    }

    /** Reads {@code dir}, naming and converting its tensors after {@code modelInputs} (required inputs, in order). */
    public static DataFolder read(Path dir, List<Value> modelInputs) {
        if (!Files.isDirectory(dir)) throw new QuantizationException(dir + ": not a folder");
        if (modelInputs.isEmpty()) throw new QuantizationException(dir + ": the model has no inputs to feed");
        List<Path> sets = children(dir, p -> Files.isDirectory(p) && DATA_SET.matcher(name(p)).matches());
        if (!sets.isEmpty()) return readTestSets(dir, sets, modelInputs);
        for (String n : List.of("images.npy", "inputs.npy")) {
            if (Files.isRegularFile(dir.resolve(n))) {
                Tensor t = convert(Npy.read(dir.resolve(n)), modelInputs.get(0), dir.resolve(n));
                return new DataFolder(dir, single(modelInputs, t, dir), optionalLabels(dir));
            }
        }
        List<Path> classes = children(dir, Files::isDirectory);
        if (!classes.isEmpty()) return readClassFolders(dir, classes, modelInputs);
        throw new QuantizationException(dir + ": no data found; expected test_data_set_*/input_*.pb, images.npy or "
                + "inputs.npy (+ labels.npy), or class subfolders of .npy/.pb tensors");
    }

    public Path dir() { return dir; }
    public int size() { return samples; }
    /** One integer label per sample, or null when the folder has none. */
    public long[] labels() { return labels == null ? null : labels.clone(); }
    public boolean hasLabels() { return labels != null; }

    /**
     * The same samples with {@code newLabels} (e.g. from {@code --labels FILE}; null for none): a
     * view on this folder's memory, valid while this folder is open; closing the view does nothing.
     */
    public DataFolder withLabels(long[] newLabels) {
        return new DataFolder(dir, inputs, newLabels, false);
    }

    /** Reads integer labels from a {@code .npy} or {@code .pb} file. */
    public static long[] readLabels(Path file) {
        try (Tensor t = readTensor(file)) {
            long[] r = new long[(int) t.elementCount()];
            for (int i = 0; i < r.length; i++) r[i] = t.getAsLong(i);
            return r;
        }
    }

    /**
     * The samples in consecutive batches of at most {@code batch}, as views on this folder's
     * memory (valid until it is closed).
     */
    public List<Map<String, Tensor>> batches(int batch) {
        List<Map<String, Tensor>> r = new ArrayList<>();
        for (int from = 0; from < samples; from += batch) r.add(slice(from, Math.min(samples, from + batch)));
        return r;
    }

    /** Samples {@code [from, to)} as views. */
    public Map<String, Tensor> slice(int from, int to) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        inputs.forEach((k, t) -> {
            long[] dims = t.shape().dims();
            long per = t.byteSize() / dims[0];
            dims[0] = to - from;
            m.put(k, Tensor.wrap(t.dtype(), Shape.of(dims), t.data().asSlice(per * from, per * (to - from))));
        });
        return m;
    }

    @Override
    public void close() {
        if (owner) inputs.values().forEach(Tensor::close);
    }

    // ---------------------------------------------------------------- layouts

    private static DataFolder readTestSets(Path dir, List<Path> sets, List<Value> modelInputs) {
        sets.sort(Comparator.comparingLong(p -> number(DATA_SET, p)));
        List<List<Tensor>> perInput = new ArrayList<>();
        for (int i = 0; i < modelInputs.size(); i++) perInput.add(new ArrayList<>());
        for (Path set : sets) {
            List<Path> files = children(set, p -> INPUT.matcher(name(p)).matches());
            files.sort(Comparator.comparingLong(p -> number(INPUT, p)));
            if (files.size() != modelInputs.size()) {
                throw new QuantizationException(set + ": " + files.size() + " input files, the model has "
                        + modelInputs.size() + " inputs " + modelInputs.stream().map(Value::name).toList());
            }
            for (int i = 0; i < files.size(); i++) {
                perInput.get(i).add(batched(convert(readTensor(files.get(i)), modelInputs.get(i), files.get(i)), modelInputs.get(i)));
            }
        }
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < modelInputs.size(); i++) m.put(modelInputs.get(i).name(), concat(perInput.get(i)));
        return new DataFolder(dir, m, optionalLabels(dir));
    }

    private static DataFolder readClassFolders(Path dir, List<Path> classes, List<Value> modelInputs) {
        if (modelInputs.size() != 1) {
            throw new QuantizationException(dir + ": class subfolders hold one tensor per sample; the model has "
                    + modelInputs.size() + " inputs");
        }
        classes.sort(Comparator.comparing(DataFolder::name));
        boolean numeric = classes.stream().allMatch(p -> name(p).matches("\\d+"));
        List<Tensor> parts = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            List<Path> files = children(classes.get(c), p -> name(p).endsWith(".npy") || name(p).endsWith(".pb"));
            files.sort(Comparator.comparing(DataFolder::name));
            for (Path f : files) {
                Tensor t = batched(convert(readTensor(f), modelInputs.get(0), f), modelInputs.get(0));
                parts.add(t);
                for (long i = 0; i < t.shape().dim(0); i++) labels.add(numeric ? Long.parseLong(name(classes.get(c))) : c);
            }
        }
        if (parts.isEmpty()) throw new QuantizationException(dir + ": class subfolders hold no .npy or .pb files");
        long[] l = labels.stream().mapToLong(Long::longValue).toArray();
        return new DataFolder(dir, Map.of(modelInputs.get(0).name(), concat(parts)), l);
    }

    private static Map<String, Tensor> single(List<Value> modelInputs, Tensor t, Path dir) {
        if (modelInputs.size() != 1) {
            throw new QuantizationException(dir + ": one array for a model with " + modelInputs.size() + " inputs");
        }
        return Map.of(modelInputs.get(0).name(), batched(t, modelInputs.get(0)));
    }

    private static long[] optionalLabels(Path dir) {
        Path l = dir.resolve("labels.npy");
        return Files.isRegularFile(l) ? readLabels(l) : null;
    }

    // ---------------------------------------------------------------- tensors

    private static Tensor readTensor(Path f) {
        return name(f).endsWith(".npy") ? Npy.read(f) : TensorProtos.read(f);
    }

    /** Adds a sample axis to a tensor holding one sample (rank one less than the model's input). */
    private static Tensor batched(Tensor t, Value input) {
        Shape s = input.shape();
        if (s == null || t.shape().rank() != s.rank() - 1) return t;
        long[] dims = new long[s.rank()];
        dims[0] = 1;
        System.arraycopy(t.shape().dims(), 0, dims, 1, s.rank() - 1);
        try (t) {
            return t.reshaped(Shape.of(dims)).copy();
        }
    }

    /** Converts between numeric types (e.g. uint8 pixels to float); values are not rescaled. */
    private static Tensor convert(Tensor t, Value input, Path file) {
        DType want = input.dtype();
        if (want == null || t.dtype() == want) return t;
        try (t) {
            return switch (want) {
                case FLOAT -> Tensor.of(t.toFloatArrayConverted(), t.shape().dims());
                case INT64 -> {
                    long[] v = new long[(int) t.elementCount()];
                    for (int i = 0; i < v.length; i++) v[i] = t.getAsLong(i);
                    yield Tensor.of(v, t.shape().dims());
                }
                default -> throw new QuantizationException(file + ": holds " + t.dtype().onnxName() + ", input '"
                        + input.name() + "' wants " + want.onnxName());
            };
        }
    }

    private static Tensor concat(List<Tensor> parts) {
        if (parts.size() == 1) return parts.get(0);
        Tensor first = parts.get(0);
        long n = 0;
        for (Tensor p : parts) {
            if (p.dtype() != first.dtype() || !sameSampleShape(p.shape(), first.shape())) {
                throw new QuantizationException("samples differ: " + first.dtype().onnxName() + first.shape() + " and "
                        + p.dtype().onnxName() + p.shape());
            }
            n += p.shape().dim(0);
        }
        long[] dims = first.shape().dims();
        dims[0] = n;
        Tensor out = Tensor.allocate(first.dtype(), Shape.of(dims));
        long off = 0;
        for (Tensor p : parts) {
            out.data().asSlice(off, p.byteSize()).copyFrom(p.data());
            off += p.byteSize();
            p.close();
        }
        return out;
    }

    private static boolean sameSampleShape(Shape a, Shape b) {
        if (a.rank() != b.rank()) return false;
        for (int i = 1; i < a.rank(); i++) if (a.dim(i) != b.dim(i)) return false;
        return true;
    }

    // ---------------------------------------------------------------- files

    private static String name(Path p) {
        return p.getFileName().toString();
    }

    private static long number(Pattern pattern, Path p) {
        Matcher m = pattern.matcher(name(p));
        return m.matches() ? Long.parseLong(m.group(1)) : Long.MAX_VALUE;
    }

    private static List<Path> children(Path dir, java.util.function.Predicate<Path> keep) {
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.filter(keep).toList());
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot list", e);
        }
    }
}
