package dev.edgerun.examples;

import dev.edgerun.finetune.Digits;
import dev.edgerun.finetune.Evaluation;
import dev.edgerun.finetune.Exporter;
import dev.edgerun.finetune.FinetuneJob;
import dev.edgerun.finetune.Head;
import dev.edgerun.finetune.TrainConfig;
import dev.edgerun.finetune.Trainer;
import dev.edgerun.finetune.nn.Activation;
import dev.edgerun.finetune.nn.Conv2d;
import dev.edgerun.finetune.nn.Dense;
import dev.edgerun.finetune.nn.Network;
import dev.edgerun.finetune.nn.Optimizer;
import dev.edgerun.finetune.nn.Pool2d;
import dev.edgerun.finetune.nn.Reshape;
import dev.edgerun.finetune.nn.Schedule;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.data.DataFolder;
import dev.edgerun.runtime.data.Preprocessing;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Example 3: fine-tune a model on the device, from Java. The same flow as {@code ./edgerun demo},
 * written against the library so it can run inside an application: a device ships with a model
 * that knows digits 0-4, the user shows it ten pictures of each of 5-9, and it learns those.
 *
 * <pre>
 * examples/run FineTuneOnDevice [--out DIR] [--seed 7]
 * </pre>
 *
 * Writes into DIR: {@code digits_0-4.onnx} (the "factory" model), {@code fewshot/5..9/*.png} (the
 * user's pictures), {@code test/5..9/*.png}, and {@code digits_5-9.onnx}, the fine-tuned model,
 * which {@link ImageClassifier} and {@link Gateway} can serve: it carries its class names and its
 * preprocessing in its metadata.
 */
public final class FineTuneOnDevice {

    /** What the run produced and measured. */
    public record Outcome(Path baseModel, Path tunedModel, Path testImages, double baseAccuracy, double tunedAccuracy,
                          int fewShotImages, double seconds) {}

    private static final int FEW_SHOT = 10;
    private static final int[] SAMPLE = {1, 8, 8}; // (channels, height, width) of one digit

    private FineTuneOnDevice() {}

    public static Outcome run(Path dir, long seed) {
        long t0 = System.nanoTime();
        Digits digits = Digits.load(); // 1797 8x8 digits bundled with the finetune module, split train/test

        // Step 1, at the factory: train a small CNN on digits 0-4 and export it as ONNX. On a real
        // product this model comes from a workstation; it is trained here so the example is complete.
        Digits.Set old = digits.select(0, d -> d <= 4, Integer.MAX_VALUE);
        Network base = smallCnn(5, seed);
        Trainer.train(base, old.images(), old.digits(), old.count(), config(12, 32, 3e-3, seed), null, null, Trainer.Progress.NONE, null);
        Path baseFile = dir.resolve("digits_0-4.onnx");
        exportScratchModel(base, baseFile);
        double baseAccuracy = accuracy(base, digits.select(1, d -> d <= 4, Integer.MAX_VALUE), 0);

        // Step 2, on the device: the user's few pictures arrive as ordinary image files, one folder
        // per class (the "data folder" layout every Edgerun tool reads).
        Path fewShot = writePngFolder(dir.resolve("fewshot"), digits.select(0, d -> d >= 5, FEW_SHOT));
        Path test = writePngFolder(dir.resolve("test"), digits.select(1, d -> d >= 5, Integer.MAX_VALUE));

        // Step 3: fine-tune. The job cuts the base model before its classifier (found automatically),
        // computes the frozen backbone's features once with an inference session, trains the last
        // two weighted layers plus a new linear head for the 5 new classes, and writes one ONNX
        // model with the class names and preprocessing in its metadata.
        Path tuned = dir.resolve("digits_5-9.onnx");
        TrainConfig c = config(60, 10, 3e-3, seed);
        FinetuneJob job = new FinetuneJob(baseFile, fewShot, tuned, null, Head.parse("linear"), 2, c, Map.of(), true,
                SessionOptions.defaults(), null, null);
        job.run(line -> {}, Trainer.Progress.NONE);

        // Step 4: check the new model on pictures it has never seen, with the inference engine.
        double tunedAccuracy;
        try (Model m = Edgerun.load(tuned)) {
            Preprocessing p = Preprocessing.forInput(m.graph().requiredInputs().getFirst(), m.metadata());
            DataFolder.Samples samples = DataFolder.read(test, DataFolder.Options.of(p));
            tunedAccuracy = Evaluation.run(m, samples, SessionOptions.defaults(), 64).accuracy();
        }
        return new Outcome(baseFile, tuned, test, baseAccuracy, tunedAccuracy, 5 * FEW_SHOT, (System.nanoTime() - t0) / 1e9);
    }

    /** Conv 1→8 3x3, Relu, MaxPool 2, Conv 8→16 3x3, Relu, Flatten, Dense 256→32, Relu, Dense 32→classes (the demo's CNN). */
    static Network smallCnn(int classes, long seed) {
        Random r = new Random(seed);
        return new Network(List.of(
                Conv2d.init("conv1", 1, 8, 3, r), Activation.relu(), Pool2d.maxPool(2),
                Conv2d.init("conv2", 8, 16, 3, r), Activation.relu(), Reshape.flatten(),
                Dense.init("fc1", 16 * 4 * 4, 32, r), Activation.relu(),
                Dense.init("fc2", 32, classes, r)), SAMPLE);
    }

    private static TrainConfig config(int epochs, int batch, double lr, long seed) {
        return new TrainConfig(epochs, batch, lr, Optimizer.Kind.ADAM, 0.9f, 0f, Schedule.parse("cosine"), 0, 0, seed, 0f, null);
    }

    /** A network trained from scratch becomes an ONNX model with an (batch, 1, 8, 8) input and a softmax. */
    private static void exportScratchModel(Network net, Path file) {
        Graph input = Graph.builder("digits_cnn").input(Value.tensor("input", DType.FLOAT,
                Shape.symbolic(new long[] {-1, 1, 8, 8}, new String[] {"batch", null, null, null}))).build();
        // The pictures are 8-bit grey images: pixel / 255 gives the [0, 1] range the network was trained on.
        Preprocessing p = Preprocessing.forInput(input.inputs().getFirst(), Map.of()).with("scale", Float.toString(1f / 255));
        try (Model m = Exporter.export(null, input, "input", net, List.of("0", "1", "2", "3", "4"), p.toMetadata())) {
            FinetuneJob.writeAtomically(m, file);
        }
    }

    private static double accuracy(Network net, Digits.Set set, int firstDigit) {
        int classes = 5;
        float[] logits = net.forward(set.images(), set.count());
        int correct = 0;
        for (int i = 0; i < set.count(); i++) {
            int best = 0;
            for (int j = 1; j < classes; j++) if (logits[i * classes + j] > logits[i * classes + best]) best = j;
            if (best + firstDigit == set.digits()[i]) correct++;
        }
        return (double) correct / set.count();
    }

    /** Writes each digit as an 8x8 PNG under {@code dir/<digit>/}. */
    static Path writePngFolder(Path dir, Digits.Set set) {
        try {
            for (int i = 0; i < set.count(); i++) {
                Path classDir = Files.createDirectories(dir.resolve(Integer.toString(set.digits()[i])));
                // RGB with r = g = b: a TYPE_BYTE_GRAY image would be read back through a gamma curve.
                BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
                for (int p = 0; p < 64; p++) {
                    int v = Math.round(set.images()[i * 64 + p] * 255);
                    img.setRGB(p % 8, p / 8, (v << 16) | (v << 8) | v);
                }
                ImageIO.write(img, "png", classDir.resolve(String.format(Locale.ROOT, "%04d.png", i)).toFile());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
        }
        return dir;
    }

    public static void main(String[] argv) throws Exception {
        Args.runMain(() -> run(argv));
    }

    private static void run(String[] argv) throws IOException {
        Args a = new Args(argv);
        Path dir = Files.createDirectories(Path.of(a.get("--out", System.getProperty("java.io.tmpdir") + "/edgerun-finetune-example")));
        Outcome o = run(dir, Long.parseLong(a.get("--seed", "7")));
        System.out.printf(Locale.ROOT, "factory model (digits 0-4): %.1f%% on its test digits  -> %s%n", 100 * o.baseAccuracy(), o.baseModel());
        System.out.printf(Locale.ROOT, "fine-tuned on %d pictures of 5-9: %.1f%% on %s%n", o.fewShotImages(), 100 * o.tunedAccuracy(), o.testImages());
        System.out.printf(Locale.ROOT, "fine-tuned model: %s (%.1f s in all)%n", o.tunedModel(), o.seconds());
        System.out.println("try: examples/run ImageClassifier --model " + o.tunedModel() + " --top 3 " + o.testImages().resolve("7"));
    }
}
