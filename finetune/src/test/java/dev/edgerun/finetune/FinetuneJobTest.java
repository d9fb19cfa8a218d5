package dev.edgerun.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.finetune.nn.Optimizer;
import dev.edgerun.finetune.nn.Schedule;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.data.Augmentation;
import dev.edgerun.runtime.data.DataFolder;
import dev.edgerun.runtime.data.Preprocessing;
import dev.edgerun.runtime.ir.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** digits_cnn with a new head trained on the train split, evaluated on the test split (issue 6's first bar). */
class FinetuneJobTest {
    @TempDir
    Path dir;

    private static final Map<String, String> DIGIT_PIXELS = Map.of("scale", "0.0625"); // 0..16 -> 0..1, as digits_cnn was trained

    @Test
    void newLinearHeadOnDigitsCnnReaches97PercentOnTheTestSplit() throws Exception {
        Path shared = DigitsFixture.shared();
        Path train = DigitsFixture.folder(shared, dir.resolve("train"), 0, l -> true);
        Path test = DigitsFixture.folder(shared, dir.resolve("test"), 1, l -> true);
        Path out = dir.resolve("digits_head.onnx");
        TrainConfig c = new TrainConfig(40, 32, 3e-3, Optimizer.Kind.ADAM, 0.9f, 0f, Schedule.parse("cosine"), 0.1, 8, 7, 0f, null);
        FinetuneJob job = new FinetuneJob(shared.resolve("models/digits_cnn/model.onnx"), train, out, null, Head.parse("linear"), 0, c,
                DIGIT_PIXELS, false, SessionOptions.defaults(), dir.resolve("cache"), null);
        FinetuneJob.Result r = job.run(s -> {}, Trainer.Progress.NONE);
        assertTrue(r.plan().automatic());
        assertEquals(64, r.featureSize());
        assertTrue(Files.size(r.plot()) > 1000);
        assertTrue(Files.readString(r.report()).contains("\"history\""));
        try (Model m = Edgerun.load(out)) {
            assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), Labels.of(m.metadata()));
            Preprocessing p = Preprocessing.forInput(m.graph().requiredInputs().get(0), m.metadata());
            DataFolder.Samples s = DataFolder.read(test, DataFolder.Options.of(p));
            Evaluation e = Evaluation.run(m, s, SessionOptions.defaults(), 64);
            System.out.printf("digits_cnn + new linear head: test top-1 %.4f on %d images (train %.2f s)%n", e.accuracy(), e.count(), r.trainSeconds());
            assertEquals(450, e.count());
            assertTrue(e.accuracy() >= 0.97, "test accuracy " + e.accuracy());
        }
        // a second run finds the features in the cache
        FinetuneJob.Result again = new FinetuneJob(job.base(), train, dir.resolve("again.onnx"), null, Head.parse("linear"), 0,
                c.withEpochs(1), DIGIT_PIXELS, false, SessionOptions.defaults(), dir.resolve("cache"), null).run(s -> {}, Trainer.Progress.NONE);
        assertTrue(again.featuresCached());
    }

    @Test
    void unfreezeTwoTrainsThroughConvAndGemmAndResumes() throws Exception {
        Path shared = DigitsFixture.shared();
        Path train = DigitsFixture.folder(shared, dir.resolve("few"), 0, l -> l >= 5, 4);
        Path out = dir.resolve("u2.onnx");
        TrainConfig c = new TrainConfig(2, 16, 3e-3, Optimizer.Kind.ADAMW, 0.9f, 1e-4f, Schedule.parse("step:2:0.5"), 0, 0, 3, 0.1f, null);
        FinetuneJob job = new FinetuneJob(shared.resolve("models/digits_cnn/model.onnx"), train, out, null, Head.parse("mlp:16"), 2, c,
                DIGIT_PIXELS, false, SessionOptions.defaults(), null, null, Augmentation.parse("shift:1"), 1);
        FinetuneJob.Result r = job.run(s -> {}, Trainer.Progress.NONE);
        assertEquals(2, r.plan().unfrozen());
        assertEquals(170 + 170, r.samples()); // 170 samples (no validation split) plus one augmented copy of each
        assertTrue(r.network().startsWith("Conv"), r.network());
        assertTrue(Files.isRegularFile(r.checkpoint()));
        // resume from the 2-epoch checkpoint and go on to 3 epochs
        FinetuneJob.Result resumed = new FinetuneJob(job.base(), train, out, null, Head.parse("mlp:16"), 2, c.withEpochs(3), DIGIT_PIXELS,
                false, SessionOptions.defaults(), null, r.checkpoint(), Augmentation.parse("shift:1"), 1).run(s -> {}, Trainer.Progress.NONE);
        assertEquals(2, resumed.outcome().resumedEpochs());
        assertEquals(3, resumed.outcome().history().size());
        try (Model m = Edgerun.load(out)) {
            Preprocessing p = Preprocessing.forInput(m.graph().requiredInputs().get(0), m.metadata());
            Evaluation e = Evaluation.run(m, DataFolder.read(train, DataFolder.Options.of(p)), SessionOptions.defaults(), 64);
            assertTrue(e.accuracy() > 0.5, "train accuracy after 3 epochs " + e.accuracy());
        }
    }
}
