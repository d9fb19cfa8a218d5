package dev.edgerun.examples;

import dev.edgerun.finetune.Labels;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.data.DataException;
import dev.edgerun.runtime.data.ImageInput;
import dev.edgerun.runtime.data.Preprocessing;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Example 1: classify one image or a folder of images with an ImageNet-style model (ONNX or Keras)
 * and print the top-k classes with their probabilities and the latency of each image.
 *
 * <pre>
 * examples/run ImageClassifier --model model.onnx [--labels labels.txt] [--top 5] [--json]
 *     [--engine native|onnxruntime] [--device cpu] [--threads N] [--pre scale=0.0039 --pre mean=0.485,0.456,0.406 ...]
 *     IMAGE_OR_FOLDER...
 * </pre>
 *
 * Preprocessing (resize + centre crop, scale, mean/std, NCHW or NHWC) comes from the model's input
 * shape and its {@code edgerun.preprocess.*} metadata; {@code --pre field=value} overrides a field.
 * Labels come from {@code --labels} (one per line), else from the model's {@code edgerun.labels}
 * metadata (fine-tuned models carry them), else the class index is printed.
 *
 * <p>An instance is safe to share between threads: the session is, and each call has its own buffers.
 */
public final class ImageClassifier implements AutoCloseable {

    /** One class of the answer. */
    public record Prediction(int index, String label, float probability) {}

    /** The answer for one image; {@code millis} covers preprocessing and inference. */
    public record Result(String image, List<Prediction> top, double millis) {
        Map<String, Object> toJson() {
            List<Object> classes = new ArrayList<>();
            for (Prediction p : top) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("label", p.label());
                m.put("index", p.index());
                m.put("probability", p.probability());
                classes.add(m);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("image", image);
            m.put("top", classes);
            m.put("millis", millis);
            return m;
        }
    }

    private final Model model;          // the session reads its weights: it lives as long as the session
    private final Session session;
    private final String inputName;
    private final long[] inputDims;     // (1, sample...) with the batch axis set to 1
    private final Preprocessing preprocessing;
    private final List<String> labels;

    /**
     * Loads {@code model} and compiles it with {@code options}.
     *
     * @param labelsFile    one label per line, or null to use the model metadata
     * @param preOverrides  preprocessing fields to override ({@link Preprocessing#with} names)
     */
    public ImageClassifier(Path model, Path labelsFile, SessionOptions options, Map<String, String> preOverrides) {
        Model m = Edgerun.load(model);
        try {
            Value input = m.graph().requiredInputs().getFirst();
            Preprocessing p = Preprocessing.forInput(input, m.metadata());
            for (Map.Entry<String, String> e : preOverrides.entrySet()) p = p.with(e.getKey(), e.getValue());
            this.preprocessing = p;
            this.inputName = input.name();
            this.inputDims = batchOfOne(p);
            this.labels = labelsFile != null ? readLabels(labelsFile) : Labels.of(m.metadata());
            this.session = Edgerun.session(m, options);
            this.model = m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static long[] batchOfOne(Preprocessing p) {
        int[] sample = p.sampleShape();
        long[] dims = new long[sample.length + 1];
        dims[0] = 1;
        for (int i = 0; i < sample.length; i++) {
            int d = sample[i];
            if (d < 0) { // a symbolic height/width: the preprocessed size decides
                boolean nchw = p.layout() == Preprocessing.Layout.NCHW;
                int hAxis = nchw ? 1 : 0, wAxis = nchw ? 2 : 1;
                d = i == hAxis && p.height() > 0 ? p.height() : i == wAxis && p.width() > 0 ? p.width() : -1;
                if (d < 0) throw new IllegalArgumentException("model input dimension " + (i + 1)
                        + " is symbolic; set it with --pre height=H --pre width=W");
            }
            dims[i + 1] = d;
        }
        return dims;
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    public String engineDescription() {
        return session.engineName() + " (" + session.description() + ")";
    }

    /** Decodes and classifies one image file. */
    public Result classify(Path image, int k) {
        long t0 = System.nanoTime();
        float[] sample = ImageInput.read(image, preprocessing);
        return finish(image.toString(), sample, k, t0);
    }

    /** Classifies an image already decoded (the gateway gets its bytes from an HTTP request). */
    public Result classify(BufferedImage image, String name, int k) {
        long t0 = System.nanoTime();
        return finish(name, ImageInput.toSample(image, preprocessing), k, t0);
    }

    private Result finish(String name, float[] sample, int k, long t0) {
        float[] scores;
        try (Tensor x = Tensor.of(sample, inputDims);
             RunResult out = session.run(Map.of(inputName, x))) {
            scores = out.get(0).toFloatArrayConverted();
        }
        List<Prediction> top = topK(toProbabilities(scores), k);
        return new Result(name, top, (System.nanoTime() - t0) / 1e6);
    }

    /** Models end in logits or in a softmax; a vector that already sums to 1 is kept as it is. */
    static float[] toProbabilities(float[] scores) {
        double sum = 0;
        boolean inRange = true;
        for (float s : scores) {
            sum += s;
            inRange &= s >= 0 && s <= 1;
        }
        if (inRange && Math.abs(sum - 1) < 1e-3) return scores;
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scores) max = Math.max(max, s);
        float[] p = new float[scores.length];
        double total = 0;
        for (int i = 0; i < p.length; i++) total += p[i] = (float) Math.exp(scores[i] - max);
        for (int i = 0; i < p.length; i++) p[i] /= (float) total;
        return p;
    }

    private List<Prediction> topK(float[] p, int k) {
        List<Prediction> all = new ArrayList<>();
        for (int i = 0; i < p.length; i++) all.add(new Prediction(i, label(i), p[i]));
        all.sort((a, b) -> Float.compare(b.probability(), a.probability()));
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }

    private String label(int i) {
        return i < labels.size() ? labels.get(i) : Integer.toString(i);
    }

    static List<String> readLabels(Path file) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.map(String::strip).filter(s -> !s.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read labels: " + e.getMessage(), e);
        }
    }

    /** The images to classify: files as given, folders expanded to the images they hold (sorted). */
    static List<Path> images(List<String> args) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String a : args) {
            Path p = Path.of(a);
            if (!Files.isDirectory(p)) {
                out.add(p);
                continue;
            }
            try (Stream<Path> s = Files.walk(p)) {
                s.filter(Files::isRegularFile).filter(ImageClassifier::isImageName).sorted().forEach(out::add);
            }
        }
        return out;
    }

    private static boolean isImageName(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        for (String suffix : ImageIO.getReaderFileSuffixes()) if (n.endsWith("." + suffix)) return true;
        return false;
    }

    @Override
    public void close() {
        session.close();
        model.close();
    }

    public static void main(String[] argv) throws Exception {
        Args.runMain(() -> run(argv));
    }

    private static void run(String[] argv) throws IOException {
        Args a = new Args(argv, "--json");
        SessionOptions.Builder o = SessionOptions.builder().engine(a.get("--engine", "native")).threads(a.getInt("--threads", 0));
        if (a.has("--device")) o.devices(a.all("--device"));
        String labels = a.get("--labels", null);
        int k = a.getInt("--top", 5);
        boolean json = a.has("--json");
        List<Path> files = images(a.positional());
        if (files.isEmpty()) throw new IllegalArgumentException("give one or more images or folders of images");
        try (ImageClassifier c = new ImageClassifier(Path.of(a.require("--model")), labels == null ? null : Path.of(labels),
                o.build(), a.pairs("--pre"))) {
            if (!json) System.out.println("engine: " + c.engineDescription() + "; " + c.preprocessing());
            List<Object> docs = new ArrayList<>();
            for (Path f : files) {
                try {
                    Result r = c.classify(f, k);
                    if (json) docs.add(r.toJson());
                    else print(r);
                } catch (DataException e) { // one unreadable file does not stop a folder
                    if (json) docs.add(ordered("image", f.toString(), "error", e.getMessage()));
                    else System.out.println(f + ": skipped: " + e.getMessage());
                }
            }
            if (json) System.out.println(Json.write(ordered("engine", c.engineDescription(), "results", docs)));
        }
    }

    private static Map<String, Object> ordered(String k1, Object v1, String k2, Object v2) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        return m;
    }

    private static void print(Result r) {
        System.out.printf(Locale.ROOT, "%s  (%.2f ms)%n", r.image(), r.millis());
        for (Prediction p : r.top()) System.out.printf(Locale.ROOT, "  %6.2f%%  %s%n", 100 * p.probability(), p.label());
    }
}
