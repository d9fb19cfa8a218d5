package dev.edgerun.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.SessionOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs example 3 end to end (train on 0-4, fine-tune on 10 pictures each of 5-9), then example 1
 * on the fine-tuned model: real predictions on digit pictures it never saw.
 */
class FineTuneOnDeviceTest {

    @Test
    void fineTunedModelRecognisesNewDigitsThroughTheImageExample(@TempDir Path dir) throws Exception {
        String printed = Shared.stdout(() -> FineTuneOnDevice.main(new String[] {"--out", dir.toString()}));
        assertTrue(printed.contains("fine-tuned model:"), printed);
        Path tuned = dir.resolve("digits_5-9.onnx");
        assertTrue(Files.isRegularFile(tuned));

        FineTuneOnDevice.Outcome o = FineTuneOnDevice.run(dir.resolve("again"), 7);
        assertTrue(o.baseAccuracy() > 0.9, "base model on digits 0-4: " + o.baseAccuracy());
        assertTrue(o.tunedAccuracy() > 0.8, "fine-tuned model on unseen 5-9: " + o.tunedAccuracy());

        List<Path> pictures;
        try (Stream<Path> s = Files.walk(o.testImages())) {
            pictures = s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        int correct = 0;
        try (ImageClassifier c = new ImageClassifier(o.tunedModel(), null, SessionOptions.defaults(), Map.of())) {
            for (Path p : pictures) {
                ImageClassifier.Result r = c.classify(p, 3);
                if (r.top().getFirst().label().equals(p.getParent().getFileName().toString())) correct++;
            }
        }
        double accuracy = (double) correct / pictures.size();
        System.out.printf("image example on %d unseen digit pictures: %.1f%% top-1%n", pictures.size(), 100 * accuracy);
        assertEquals(o.tunedAccuracy(), accuracy, 1e-9, "the image example agrees with the library's evaluation");
    }
}
