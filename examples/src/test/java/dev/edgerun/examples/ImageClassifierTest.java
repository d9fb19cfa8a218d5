package dev.edgerun.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.data.DataException;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image example on a 224x224 ImageNet-style model (random weights: it must run, not be right). */
class ImageClassifierTest {

    static Path writeTestImage(Path dir, String name, int w, int h) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, (x * 255 / w) << 16 | (y * 255 / h) << 8 | 128);
        Path f = dir.resolve(name);
        ImageIO.write(img, name.endsWith(".png") ? "png" : "jpg", f.toFile());
        return f;
    }

    @Test
    void mobilenetTopKOnBothEngines(@TempDir Path dir) throws Exception {
        Path model = Shared.model("mobilenet_v2");
        Path image = writeTestImage(dir, "gradient.png", 320, 240);
        Path labels = dir.resolve("labels.txt");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 1000; i++) b.append("class_").append(i).append('\n');
        Files.writeString(labels, b);
        float[] first = null;
        for (String engine : List.of("native", "onnxruntime")) {
            if (!Edgerun.engine(engine).availability().available()) {
                System.out.println("engine " + engine + " not available here; skipped in this test");
                continue;
            }
            try (ImageClassifier c = new ImageClassifier(model, labels, SessionOptions.builder().engine(engine).build(), Map.of(
                    "mean", "0.485,0.456,0.406", "std", "0.229,0.224,0.225"))) {
                ImageClassifier.Result r = c.classify(image, 5);
                assertEquals(5, r.top().size());
                for (int i = 1; i < 5; i++) assertTrue(r.top().get(i - 1).probability() >= r.top().get(i).probability());
                assertTrue(r.top().getFirst().label().startsWith("class_"));
                assertTrue(r.millis() > 0);
                float[] probs = new float[5];
                for (int i = 0; i < 5; i++) probs[i] = r.top().get(i).probability();
                if (first == null) first = probs;
                else for (int i = 0; i < 5; i++) assertEquals(first[i], probs[i], 1e-4f, "engines agree on the probabilities");
            }
        }
        assumeTrue(first != null);
    }

    @Test
    void kerasChannelsLastModel(@TempDir Path dir) throws Exception {
        String root = System.getProperty("EDGERUN_SHARED", System.getenv("EDGERUN_SHARED"));
        assumeTrue(root != null, "EDGERUN_SHARED is not set; skipping the Keras image model test");
        Path model = Path.of(root, "testdata/keras/keras3-generated/mobilenet_block/model.keras");
        assumeTrue(Files.isRegularFile(model), "no " + model + "; skipping");
        Path image = writeTestImage(dir, "g.png", 64, 48);
        try (ImageClassifier c = new ImageClassifier(model, null, SessionOptions.defaults(), Map.of())) {
            assertEquals("NHWC", c.preprocessing().layout().name(), "layout read from the (1, 32, 32, 3) input");
            ImageClassifier.Result r = c.classify(image, 10);
            assertEquals(4, r.top().size(), "all 4 classes of the model");
            float sum = 0;
            for (ImageClassifier.Prediction p : r.top()) sum += p.probability();
            assertEquals(1f, sum, 1e-4f);
        }
    }

    @Test
    void commandLineClassifiesAFolderAsJson(@TempDir Path dir) throws Exception {
        Path model = Shared.model("mobilenet_v2");
        Path images = Files.createDirectories(dir.resolve("images"));
        writeTestImage(images, "a.png", 300, 200);
        writeTestImage(images, "b.jpg", 224, 400);
        Files.writeString(images.resolve("broken.png"), "not an image");
        String out = Shared.stdout(() -> ImageClassifier.main(new String[] {"--model", model.toString(), "--top", "3", "--json",
                images.toString()}));
        assertTrue(out.startsWith("{\"engine\":"), out);
        assertEquals(2, out.split("\"millis\"").length - 1, "two images classified: " + out);
        assertTrue(out.contains("broken.png\",\"error\""), "the unreadable file is reported, not fatal: " + out);
        assertEquals(6, out.split("\"probability\"").length - 1, "top 3 of each: " + out);
    }

    @Test
    void unreadableImageIsADataException(@TempDir Path dir) throws Exception {
        Path model = Shared.model("mobilenet_v2");
        Path bad = Files.writeString(dir.resolve("x.png"), "nope");
        try (ImageClassifier c = new ImageClassifier(model, null, SessionOptions.defaults(), Map.of())) {
            DataException e = assertThrows(DataException.class, () -> c.classify(bad, 5));
            assertTrue(e.getMessage().contains("x.png"), e.getMessage());
        }
    }
}
