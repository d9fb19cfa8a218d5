package dev.edgerun.onnx;

import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.ir.ValueType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * An ONNX-style test folder: a model file ({@code model.onnx}, or {@code model.keras} /
 * {@code model.h5}) with data sets of inputs and expected outputs, either
 * {@code test_data_set_N/input_K.pb, output_K.pb} (TensorProto, or SequenceProto/OptionalProto/
 * MapProto where the model's value type says so; {@code .npy} also accepted there) or top-level
 * {@code input_K.npy, output_K.npy}. Files are taken in numeric order ({@code input_10} after
 * {@code input_2}).
 *
 * <pre>{@code
 * TestCaseFolder folder = TestCaseFolder.open(Path.of("../shared/models/resnet18"));
 * try (Model model = Edgerun.load(folder.modelFile())) {
 *     for (TestCaseFolder.DataSet set : folder.readDataSets(model)) {
 *         try (set) {
 *             Map<String, Tensor> inputs = set.inputTensors();
 *             Map<String, Tensor> expected = set.expectedTensors();
 *             ...
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>Values are named after the model's graph inputs that are not initializers, and its outputs,
 * in order; a TensorProto whose {@code name} is one of those names is filed under that name.
 */
public final class TestCaseFolder {
    private static final List<String> MODEL_NAMES = List.of("model.onnx", "model.keras", "model.h5");
    private static final Pattern NUMBERED = Pattern.compile("^(input|output)_(\\d+)\\.(pb|npy)$");
    private static final Pattern DATA_SET = Pattern.compile("^test_data_set_(\\d+)$");

    private final Path dir;
    private final Path modelFile;
    private final boolean oneOfSeveral; // the folder holds the same model in several formats

    private TestCaseFolder(Path dir, Path modelFile, boolean oneOfSeveral) {
        this.dir = dir;
        this.modelFile = modelFile;
        this.oneOfSeveral = oneOfSeveral;
    }

    /** Whether {@code dir} holds a model file this class recognises. */
    public static boolean isTestCaseFolder(Path dir) {
        return Files.isDirectory(dir) && findModel(dir) != null;
    }

    /** The folder; a {@link ModelFormatException} when it holds no model file. */
    public static TestCaseFolder open(Path dir) {
        if (!Files.isDirectory(dir)) throw new ModelFormatException(dir + ": not a folder");
        Path model = findModel(dir);
        if (model == null) {
            throw new ModelFormatException(dir + ": no model file (looked for " + MODEL_NAMES + " and *.onnx)");
        }
        return new TestCaseFolder(dir, model, false);
    }

    /**
     * One test case per model file in the folder: a folder holding the same model as
     * {@code model.keras} and {@code model.h5} (and/or {@code model.onnx}) gives one case per file,
     * named {@code folder/model.keras} and so on, all sharing the folder's data sets.
     */
    public static List<TestCaseFolder> openEach(Path dir) {
        if (!Files.isDirectory(dir)) throw new ModelFormatException(dir + ": not a folder");
        List<Path> models = new ArrayList<>();
        for (String name : MODEL_NAMES) {
            if (Files.isRegularFile(dir.resolve(name))) models.add(dir.resolve(name));
        }
        if (models.size() <= 1) return List.of(open(dir));
        List<TestCaseFolder> r = new ArrayList<>();
        for (Path m : models) r.add(new TestCaseFolder(dir, m, true));
        return r;
    }

    private static Path findModel(Path dir) {
        for (String name : MODEL_NAMES) {
            if (Files.isRegularFile(dir.resolve(name))) return dir.resolve(name);
        }
        List<Path> onnx = list(dir, p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".onnx"));
        return onnx.size() == 1 ? onnx.get(0) : null;
    }

    public Path dir() {
        return dir;
    }

    /** The folder's name, e.g. {@code test_abs} or {@code resnet18}. */
    public String name() {
        Path n = dir.toAbsolutePath().normalize().getFileName();
        String folder = n == null ? dir.toString() : n.toString();
        return oneOfSeveral ? folder + "/" + modelFile.getFileName() : folder;
    }

    public Path modelFile() {
        return modelFile;
    }

    /** The data set folders in numeric order, then the folder itself when it holds top-level .npy files. */
    public List<Path> dataSetDirs() {
        List<Path> sets = list(dir, p -> Files.isDirectory(p) && DATA_SET.matcher(p.getFileName().toString()).matches());
        sets.sort(Comparator.comparingLong(p -> number(DATA_SET, p)));
        if (!numbered(dir, "input").isEmpty() || !numbered(dir, "output").isEmpty()) sets.add(dir);
        return sets;
    }

    /** Reads every data set, naming values after {@code model}'s required inputs and its outputs. */
    public List<DataSet> readDataSets(Model model) {
        return readDataSets(model.graph().requiredInputs(), model.graph().outputs());
    }

    /** Reads every data set, naming values after {@code inputs} and {@code outputs} in order. */
    public List<DataSet> readDataSets(List<Value> inputs, List<Value> outputs) {
        List<DataSet> sets = new ArrayList<>();
        try {
            for (Path d : dataSetDirs()) sets.add(readDataSet(d, inputs, outputs));
        } catch (RuntimeException e) {
            sets.forEach(DataSet::close);
            throw e;
        }
        return sets;
    }

    /** Reads one data set folder (one of {@link #dataSetDirs()}). */
    public DataSet readDataSet(Path setDir, List<Value> inputs, List<Value> outputs) {
        String name = setDir.equals(dir) ? name() : setDir.getFileName().toString();
        Map<String, Object> in = new LinkedHashMap<>();
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            readValues(numbered(setDir, "input"), inputs, in);
            readValues(numbered(setDir, "output"), outputs, out);
        } catch (RuntimeException e) {
            in.values().forEach(TensorProtos::closeValue);
            out.values().forEach(TensorProtos::closeValue);
            throw e;
        }
        return new DataSet(name, setDir, Collections.unmodifiableMap(in), Collections.unmodifiableMap(out));
    }

    /**
     * Reads the files in order; a value whose stored name is one of {@code expected} takes that
     * name, the others take the unused names in order.
     */
    private static void readValues(List<Path> files, List<Value> expected, Map<String, Object> into) {
        List<String> names = expected.stream().map(Value::name).toList();
        String[] keys = new String[files.size()];
        Object[] values = new Object[files.size()];
        try {
            for (int i = 0; i < files.size(); i++) {
                Path f = files.get(i);
                ValueType type = i < expected.size() ? expected.get(i).type() : null;
                if (f.getFileName().toString().endsWith(".npy")) {
                    values[i] = Npy.read(f);
                } else {
                    NamedValue nv = NamedValue.read(f, type);
                    values[i] = nv.value();
                    if (names.contains(nv.name())) keys[i] = nv.name();
                }
            }
            List<String> unused = new ArrayList<>(names);
            unused.removeAll(java.util.Arrays.asList(keys));
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] != null) continue;
                if (unused.isEmpty()) {
                    throw new ModelFormatException(files.get(i) + ": value number " + i + " has no counterpart among the"
                            + " model's " + names.size() + " values " + names);
                }
                keys[i] = unused.remove(0);
            }
        } catch (RuntimeException e) {
            for (Object v : values) TensorProtos.closeValue(v);
            throw e;
        }
        for (int i = 0; i < keys.length; i++) TensorProtos.closeValue(into.put(keys[i], values[i]));
    }

    private static List<Path> numbered(Path d, String kind) {
        List<Path> files = list(d, p -> {
            Matcher m = NUMBERED.matcher(p.getFileName().toString());
            return Files.isRegularFile(p) && m.matches() && m.group(1).equals(kind);
        });
        files.sort(Comparator.comparingLong(p -> number(NUMBERED, p)));
        return files;
    }

    private static long number(Pattern pattern, Path p) {
        Matcher m = pattern.matcher(p.getFileName().toString());
        if (!m.matches()) return Long.MAX_VALUE;
        String digits = m.group(m.groupCount() >= 2 ? 2 : 1);
        return digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
    }

    private static List<Path> list(Path d, java.util.function.Predicate<Path> keep) {
        try (Stream<Path> s = Files.list(d)) {
            return new ArrayList<>(s.filter(keep).toList());
        } catch (IOException e) {
            throw new ModelFormatException(d + ": cannot list: " + e, e);
        }
    }

    @Override
    public String toString() {
        return "TestCaseFolder(" + dir + ", " + modelFile.getFileName() + ")";
    }

    /**
     * One data set: inputs by name and the expected outputs by name. Values are tensors, or for
     * sequence/map/optional-typed values a {@code List<Object>}, {@code Map<Object, Object>} or
     * null. Closing it closes every tensor it holds.
     */
    public record DataSet(String name, Path dir, Map<String, Object> inputs, Map<String, Object> expectedOutputs)
            implements AutoCloseable {

        /** The inputs, all of which must be tensors. */
        public Map<String, Tensor> inputTensors() {
            return tensors(inputs, "input");
        }

        /** The expected outputs, all of which must be tensors. */
        public Map<String, Tensor> expectedTensors() {
            return tensors(expectedOutputs, "output");
        }

        /** Whether every input and output is a plain tensor. */
        public boolean allTensors() {
            return inputs.values().stream().allMatch(v -> v instanceof Tensor)
                    && expectedOutputs.values().stream().allMatch(v -> v instanceof Tensor);
        }

        private Map<String, Tensor> tensors(Map<String, Object> values, String kind) {
            Map<String, Tensor> r = new LinkedHashMap<>();
            values.forEach((k, v) -> {
                if (!(v instanceof Tensor t)) {
                    throw new IllegalStateException(dir + ": " + kind + " '" + k + "' is "
                            + (v == null ? "an empty optional" : v instanceof List ? "a sequence" : "a map")
                            + ", not a tensor");
                }
                r.put(k, t);
            });
            return Collections.unmodifiableMap(r);
        }

        @Override
        public void close() {
            inputs.values().forEach(TensorProtos::closeValue);
            expectedOutputs.values().forEach(TensorProtos::closeValue);
        }
    }
}
