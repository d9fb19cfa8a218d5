package dev.edgerun.finetune;

import dev.edgerun.finetune.nn.Layer;
import dev.edgerun.finetune.nn.Network;
import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.onnx.TensorProtos;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.data.Augmentation;
import dev.edgerun.runtime.data.DataFolder;
import dev.edgerun.runtime.data.Preprocessing;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The whole of {@code edgerun finetune}: load the base model, cut it, read and preprocess the data
 * folder, compute (or load the cached) frozen features, train the unfrozen layers and the new head,
 * write one ONNX model with the class names in its metadata, and the JSON report and PNG curves
 * beside it.
 *
 * @param base          the base model file
 * @param data          the labelled data folder (any layout of DESIGN.md's "Data folders")
 * @param output        the ONNX file to write
 * @param cut           the tensor to cut at (null: the classifier's input, found automatically)
 * @param head          the new head
 * @param unfreeze      weighted backbone layers before the cut that train too
 * @param config        the training hyper-parameters
 * @param preprocessing overrides of the preprocessing defaults (field name to value, see {@link Preprocessing#with})
 * @param strict        whether an unreadable data file is fatal
 * @param options       the engine that computes the frozen features
 * @param cacheDir      where features are cached (null: no disk cache)
 * @param resume        a checkpoint to continue from (null: none)
 * @param augmentation  random changes to training samples (null: none)
 * @param copies        augmented copies of each training sample added before the features are computed
 */
public record FinetuneJob(Path base, Path data, Path output, String cut, Head head, int unfreeze, TrainConfig config,
                          Map<String, String> preprocessing, boolean strict, SessionOptions options, Path cacheDir,
                          Path resume, Augmentation augmentation, int copies) {

    public FinetuneJob(Path base, Path data, Path output, String cut, Head head, int unfreeze, TrainConfig config,
                       Map<String, String> preprocessing, boolean strict, SessionOptions options, Path cacheDir, Path resume) {
        this(base, data, output, cut, head, unfreeze, config, preprocessing, strict, options, cacheDir, resume, null, 0);
    }

    /** What the job did, for the report and the command line. */
    public record Result(Path output, CutPlan plan, String network, List<String> classes, int samples, int featureSize,
                         boolean featuresCached, double featureSeconds, double trainSeconds, Trainer.Outcome outcome,
                         List<String> skipped, Path report, Path plot, Path checkpoint) {}

    public static Path checkpointFor(Path output) {
        return output.resolveSibling(output.getFileName() + ".ckpt");
    }

    public Result run(Consumer<String> log, Trainer.Progress progress) {
        if (output.toAbsolutePath().normalize().equals(base.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("refusing to overwrite the base model " + base + "; choose another -o");
        }
        try (Model model = Edgerun.load(base)) {
            CutPlan plan = CutPlan.plan(model, cut, unfreeze);
            log.accept("cut at '" + plan.cut() + "'" + (plan.automatic() ? " (the input of the final classifier, found automatically)" : "")
                    + (plan.unfrozen() > 0 ? "; unfrozen: " + plan.unfrozen() + " weighted layer(s) back to '" + plan.frozen() + "'" : ""));
            Value input = single(model);
            Preprocessing pre = Preprocessing.forInput(input, model.metadata());
            for (Map.Entry<String, String> e : preprocessing.entrySet()) pre = pre.with(e.getKey(), e.getValue());
            DataFolder.Samples samples = DataFolder.read(data, new DataFolder.Options(pre, strict, TensorProtos::read, log::accept));
            if (samples.labels() == null) throw new FinetuneException(data + ": no labels (class subfolders or labels.npy are needed to train)");
            log.accept("data: " + samples.count() + " samples in " + samples.classes().size() + " classes " + samples.classes()
                    + (samples.skipped().isEmpty() ? "" : ", " + samples.skipped().size() + " skipped"));
            TrainingSet set = trainingSet(samples, pre);
            if (set.data() != samples.data()) {
                log.accept("augmented: " + copies + " random copies of each of the " + (set.split()[0].length / (copies + 1))
                        + " training samples");
            }
            int[][] split = set.split();
            int[] labels = set.labels();
            int count = labels.length;
            long t0 = System.nanoTime();
            Features features;
            boolean cached = false;
            if (plan.frozenIsInput(model)) {
                features = new Features(set.data(), samples.sampleShape(), count);
            } else {
                String key = Features.key(base, plan.frozen(), options.engine(), set.data());
                features = cacheDir == null ? null : Features.load(cacheDir, key);
                cached = features != null;
                if (features == null) {
                    try (Model frozen = plan.frozenModel(model)) {
                        features = Features.compute(frozen, set.data(), samples.sampleShape(), count, options, 64);
                    }
                    if (cacheDir != null) features.store(cacheDir, key);
                }
            }
            double featureSeconds = (System.nanoTime() - t0) / 1e9;
            log.accept("features '" + plan.frozen() + "' " + java.util.Arrays.toString(features.shape()) + (cached ? " from the cache" : " computed")
                    + String.format(java.util.Locale.ROOT, " in %.2f s on %s", featureSeconds, options.engine()));
            List<Layer> layers = new ArrayList<>(plan.layers(model));
            int[] headIn = new Network(layers, features.shape()).outputShape();
            layers.addAll(head.layers(headIn, samples.classes().size(), new Random(config.seed())));
            Network net = new Network(layers, features.shape());
            log.accept("training " + net.describe() + " (" + net.parameterCount() + " parameters)");
            Path checkpoint = checkpointFor(output);
            long t1 = System.nanoTime();
            Trainer.Outcome outcome = Trainer.train(net, features.data(), labels, split[0], split[1], config, checkpoint,
                    resume, progress, null);
            double trainSeconds = (System.nanoTime() - t1) / 1e9;
            Map<String, String> meta = new LinkedHashMap<>(pre.toMetadata());
            meta.put("edgerun.finetune.base", base.getFileName().toString());
            meta.put("edgerun.finetune.cut", plan.cut());
            meta.put("edgerun.finetune.unfreeze", Integer.toString(plan.unfrozen()));
            meta.put("edgerun.finetune.head", head.toString());
            try (Model tuned = Exporter.export(model, plan.frozenGraph(model), plan.frozen(), net, samples.classes(), meta)) {
                writeAtomically(tuned, output);
            }
            Result r = new Result(output, plan, net.describe(), samples.classes(), count, features.size(), cached,
                    featureSeconds, trainSeconds, outcome, samples.skipped(), reportFile(output), plotFile(output), checkpoint);
            TrainingReport.write(r, config);
            return r;
        }
    }

    /** Inputs, labels and the {train, validation} indices into them. */
    private record TrainingSet(float[] data, int[] labels, int[][] split) {}

    /**
     * The samples, split; with augmentation, {@code copies} changed copies of every training sample
     * are appended (validation samples stay original, so the validation accuracy is honest).
     */
    private TrainingSet trainingSet(DataFolder.Samples samples, Preprocessing pre) {
        int[][] split = Trainer.split(samples.count(), config.valSplit(), config.seed());
        if (augmentation == null || copies <= 0) return new TrainingSet(samples.data(), samples.labels(), split);
        int per = samples.sampleSize(), n = samples.count(), extra = split[0].length * copies;
        float[] data = java.util.Arrays.copyOf(samples.data(), (n + extra) * per);
        int[] labels = java.util.Arrays.copyOf(samples.labels(), n + extra);
        int[] train = java.util.Arrays.copyOf(split[0], split[0].length + extra);
        Random r = new Random(config.seed() ^ 0x5eed);
        int at = n;
        for (int k = 0; k < copies; k++) {
            for (int i : split[0]) {
                System.arraycopy(augmentation.apply(samples.sample(i), pre, r), 0, data, at * per, per);
                labels[at] = samples.labels()[i];
                train[split[0].length + at - n] = at;
                at++;
            }
        }
        return new TrainingSet(data, labels, new int[][] {train, split[1]});
    }

    /** Writes {@code model} to a temporary file beside {@code file}, then renames it over {@code file}. */
    public static void writeAtomically(Model model, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            OnnxModels.write(model, tmp);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    public static Path reportFile(Path output) {
        return output.resolveSibling(stem(output) + ".report.json");
    }

    public static Path plotFile(Path output) {
        return output.resolveSibling(stem(output) + ".curves.png");
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".onnx") ? n.substring(0, n.length() - 5) : n;
    }

    private static Value single(Model model) {
        List<Value> in = model.graph().requiredInputs();
        if (in.size() != 1) throw new FinetuneException("the base model has " + in.size() + " inputs; fine-tuning supports one");
        return in.get(0);
    }
}
