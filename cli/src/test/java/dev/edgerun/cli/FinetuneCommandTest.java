package dev.edgerun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.finetune.Evaluation;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Model;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** edgerun finetune and evaluate through the command line, on digits_cnn and the shared digits. */
class FinetuneCommandTest {
    @TempDir
    Path dir;

    /** images.npy (uint8 8x8) + labels.npy of one split, every {@code stride}-th sample. */
    private Path digits(String name, int split, int stride) throws Exception {
        Path d = Cli.shared("testdata/datasets/sklearn-digits");
        try (Tensor img = Npy.read(d.resolve("images_8x8_uint8.npy")); Tensor lab = Npy.read(d.resolve("labels_uint8.npy"));
             Tensor sp = Npy.read(d.resolve("split.npy"))) {
            byte[] px = img.toByteArray();
            List<Integer> keep = new ArrayList<>();
            for (int i = 0, seen = 0; i < lab.elementCount(); i++) if (sp.getAsLong(i) == split && seen++ % stride == 0) keep.add(i);
            byte[] out = new byte[keep.size() * 64];
            long[] labels = new long[keep.size()];
            for (int k = 0; k < keep.size(); k++) {
                System.arraycopy(px, keep.get(k) * 64, out, k * 64, 64);
                labels[k] = lab.getAsLong(keep.get(k));
            }
            Path f = Files.createDirectories(dir.resolve(name));
            try (Tensor ti = Tensor.of(DType.UINT8, out, keep.size(), 8, 8); Tensor tl = Tensor.of(labels, keep.size())) {
                Npy.write(ti, f.resolve("images.npy"));
                Npy.write(tl, f.resolve("labels.npy"));
            }
            return f;
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void finetuneThenEvaluateWithJsonAndIdenticalPredictionsOnBothEngines() throws Exception {
        String base = Cli.model("digits_cnn");
        Path train = digits("train", 0, 2);
        Path test = digits("test", 1, 1);
        Path out = dir.resolve("tuned.onnx");
        Cli.Outcome f = Cli.run("finetune", "--base", base, "--data", train.toString(), "-o", out.toString(), "--scale", "0.0625",
                "--epochs", "15", "--lr", "0.003", "--head", "mlp:32", "--seed", "3", "--quiet");
        assertEquals(0, f.exit(), f.err() + f.out());
        assertTrue(f.out().contains("(the input of the final classifier, found automatically)"), f.out());
        assertTrue(Files.isRegularFile(dir.resolve("tuned.report.json")));
        assertTrue(Files.isRegularFile(dir.resolve("tuned.curves.png")));
        BufferedImage plot = ImageIO.read(dir.resolve("tuned.curves.png").toFile());
        assertEquals(900, plot.getWidth());

        Cli.Outcome e = Cli.run("evaluate", out.toString(), "--data", test.toString(), "--json");
        assertEquals(0, e.exit(), e.err());
        Map<String, Object> doc = MiniJson.object(e.out());
        assertEquals(450, ((Number) doc.get("count")).intValue());
        double accuracy = ((Number) doc.get("accuracy")).doubleValue();
        assertTrue(accuracy >= 0.95, "accuracy " + accuracy);
        assertEquals(10, ((List<Object>) doc.get("confusion")).size());

        Cli.Outcome text = Cli.run("evaluate", out.toString(), "--data", test.toString());
        assertTrue(text.out().contains("top-1 accuracy"), text.out());
        assertTrue(text.out().contains("confusion"), text.out());

        // the exported model predicts the same classes on every engine available here
        try (Model m = Edgerun.load(out)) {
            float[] x = new float[450 * 64];
            try (Tensor t = Npy.read(test.resolve("images.npy"))) {
                for (int i = 0; i < x.length; i++) x[i] = (t.getAsLong(i)) / 16f;
            }
            int[] reference = null;
            for (Engine engine : Edgerun.engines()) {
                if (!engine.availability().available()) continue;
                try (Session s = Edgerun.session(m, SessionOptions.builder().engine(engine.name()).build())) {
                    int[] p = Evaluation.predict(s, x, new int[] {1, 8, 8}, 450, 64);
                    if (reference == null) reference = p;
                    else assertTrue(Arrays.equals(reference, p), engine.name() + " predicts differently");
                }
            }
        }
    }

    @Test
    void evaluateReadsAnOnnxTestFolderWithLabelsBesideIt() {
        Path folder = Cli.shared("models/digits_cnn");
        Cli.Outcome e = Cli.run("evaluate", folder.resolve("model.onnx").toString(), "--data", folder.toString(), "--json");
        assertEquals(0, e.exit(), e.err());
        Map<String, Object> doc = MiniJson.object(e.out());
        assertEquals(450, ((Number) doc.get("count")).intValue());
        // ACCURACY.txt beside the model: PyTorch fp32 top-1 on the 450-image test split is 0.9844
        assertEquals(443, ((Number) doc.get("correct")).intValue());
    }

    @Test
    void badOptionsAreUsageErrors() {
        Cli.Outcome r = Cli.run("finetune", "--base", "missing.onnx", "--data", dir.toString(), "-o", dir.resolve("x.onnx").toString(),
                "--optimizer", "lion");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("lion"), r.err());
        Cli.Outcome e = Cli.run("evaluate", "missing.onnx", "--data", dir.toString());
        assertEquals(2, e.exit());
        assertTrue(e.err().contains("missing.onnx"), e.err());
    }
}
