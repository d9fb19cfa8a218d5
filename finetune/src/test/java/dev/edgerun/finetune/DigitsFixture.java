package dev.edgerun.finetune;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/** The shared sklearn digits and digits_cnn, written as array-pair data folders for tests. */
final class DigitsFixture {
    private DigitsFixture() {}

    static Path shared() {
        String s = System.getProperty("EDGERUN_SHARED", System.getenv().getOrDefault("EDGERUN_SHARED", "../shared"));
        Path p = Path.of(s);
        assumeTrue(Files.isDirectory(p.resolve("testdata/datasets/sklearn-digits")) && Files.isRegularFile(p.resolve("models/digits_cnn/model.onnx")),
                "EDGERUN_SHARED (" + p.toAbsolutePath() + ") lacks sklearn-digits and digits_cnn; skipping");
        return p;
    }

    /** Writes images.npy (n, 8, 8 uint8) + labels.npy of the samples whose split and label pass the filters. */
    static Path folder(Path shared, Path dir, int split, IntPredicate label) throws Exception {
        return folder(shared, dir, split, label, 1);
    }

    /** As above, keeping every {@code stride}-th matching sample. */
    static Path folder(Path shared, Path dir, int split, IntPredicate label, int stride) throws Exception {
        Path d = shared.resolve("testdata/datasets/sklearn-digits");
        try (Tensor images = Npy.read(d.resolve("images_8x8_uint8.npy")); Tensor labels = Npy.read(d.resolve("labels_uint8.npy"));
             Tensor splits = Npy.read(d.resolve("split.npy"))) {
            byte[] px = images.toByteArray();
            List<Integer> keep = new ArrayList<>();
            int seen = 0;
            for (int i = 0; i < labels.elementCount(); i++) {
                if (splits.getAsLong(i) == split && label.test((int) labels.getAsLong(i)) && seen++ % stride == 0) keep.add(i);
            }
            byte[] out = new byte[keep.size() * 64];
            long[] lab = new long[keep.size()];
            for (int k = 0; k < keep.size(); k++) {
                System.arraycopy(px, keep.get(k) * 64, out, k * 64, 64);
                lab[k] = labels.getAsLong(keep.get(k));
            }
            Files.createDirectories(dir);
            try (Tensor ti = Tensor.of(DType.UINT8, out, keep.size(), 8, 8); Tensor tl = Tensor.of(lab, keep.size())) {
                Npy.write(ti, dir.resolve("images.npy"));
                Npy.write(tl, dir.resolve("labels.npy"));
            }
        }
        return dir;
    }
}
