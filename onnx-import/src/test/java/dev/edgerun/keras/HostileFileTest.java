package dev.edgerun.keras;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.UnsupportedOperatorException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed and hostile Keras files fail with a ModelFormatException naming the problem, never worse. */
class HostileFileTest {
    @TempDir
    Path tmp;

    private final KerasImporter importer = new KerasImporter();

    @Test
    void zipEntryEscapingTheArchiveIsRefused() throws IOException {
        Path f = zip("evil.keras", Map.of("config.json", "{}".getBytes(), "../../outside.txt", "x".getBytes()));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> importer.read(f));
        assertTrue(e.getMessage().contains("escapes the archive"), e.getMessage());
    }

    @Test
    void zipBombIsStoppedAtTheLimitWithoutInflatingIt() throws IOException {
        Path f = tmp.resolve("bomb.keras");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            z.putNextEntry(new ZipEntry("config.json"));
            byte[] spaces = new byte[1 << 20];
            Arrays.fill(spaces, (byte) ' ');
            for (int i = 0; i < 80; i++) z.write(spaces); // 80 MiB that deflate to a few hundred KiB
            z.closeEntry();
            z.putNextEntry(new ZipEntry("model.weights.h5"));
            z.closeEntry();
        }
        assertTrue(Files.size(f) < (4 << 20), "the bomb should be small on disk");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> importer.read(f));
        assertTrue(e.getMessage().contains("inflates to more than"), e.getMessage());
    }

    @Test
    void garbageAfterTheHdf5SignatureIsAFormatError() throws IOException {
        byte[] b = new byte[4096];
        new Random(1).nextBytes(b);
        System.arraycopy(new byte[] {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'}, 0, b, 0, 8);
        Path f = tmp.resolve("garbage.h5");
        Files.write(f, b);
        assertThrows(ModelFormatException.class, () -> importer.read(f));
    }

    @Test
    void truncatedFilesAreFormatErrors() throws IOException {
        Path dir = KerasTestData.root().resolve("keras3-generated").resolve("cnn_bn");
        for (String name : new String[] {"model.h5", "model.keras"}) {
            byte[] all = Files.readAllBytes(dir.resolve(name));
            for (int cut : new int[] {all.length / 2, all.length - 100, 600}) {
                Path f = tmp.resolve("cut_" + cut + "_" + name);
                Files.write(f, Arrays.copyOf(all, cut));
                ModelFormatException e = assertThrows(ModelFormatException.class, () -> importer.read(f), f.toString());
                assertTrue(e.getMessage().contains(f.getFileName().toString()), e.getMessage());
            }
        }
    }

    @Test
    void corruptedBytesGiveEdgerunExceptionsOnly() throws IOException {
        Path dir = KerasTestData.root().resolve("keras3-generated");
        for (String name : new String[] {"cnn_bn/model.h5", "gru_bidir/model.keras"}) {
            byte[] original = Files.readAllBytes(dir.resolve(name));
            for (int seed = 0; seed < 40; seed++) {
                Random rnd = new Random(seed);
                byte[] b = original.clone();
                // the first KiBs hold the superblock, object headers and the config: where damage hurts most
                for (int i = 0; i < 8; i++) b[8 + rnd.nextInt(Math.min(b.length, 6000) - 8)] = (byte) rnd.nextInt(256);
                Path f = tmp.resolve(seed + "_" + name.replace('/', '_'));
                Files.write(f, b);
                assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> {
                    try (var m = importer.read(f)) {
                        assertTrue(m.graph().nodes().size() > 0);
                    } catch (dev.edgerun.runtime.EdgerunException expected) {
                        assertTrue(expected.getMessage().contains(f.getFileName().toString())
                                || expected instanceof UnsupportedOperatorException, expected.getMessage());
                    }
                }, f.toString());
            }
        }
    }

    @Test
    void weightsThatDisagreeWithTheConfigNameTheLayerAndBothShapes() throws IOException {
        Path src = KerasTestData.root().resolve("keras3-generated").resolve("mlp").resolve("model.keras");
        Path f = tmp.resolve("mismatch.keras");
        try (ZipFile in = new ZipFile(src.toFile()); ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(f))) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                byte[] data = in.getInputStream(e).readAllBytes();
                if (e.getName().equals("config.json")) {
                    // the first Dense layer claims 7 units; its stored kernel says otherwise
                    String cfg = new String(data, StandardCharsets.UTF_8).replaceFirst("\"units\": \\d+", "\"units\": 7");
                    data = cfg.getBytes(StandardCharsets.UTF_8);
                }
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(data);
                out.closeEntry();
            }
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> importer.read(f));
        assertTrue(e.getMessage().contains("(Dense)") && e.getMessage().contains("kernel") && e.getMessage().contains("7]"),
                e.getMessage());
    }

    @Test
    void malformedConfigJsonIsAFormatError() throws IOException {
        Path f = zip("bad.keras", Map.of("config.json", "{\"class_name\": [".getBytes(), "model.weights.h5", new byte[0]));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> importer.read(f));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void lambdaLayerSaysWhyItCannotBeImported() {
        String json = TestModels.sequential("[null, 3]", TestModels.layer("Lambda", "my_lambda", "\"function\": \"4wEAAAA=\""),
                TestModels.layer("FancyCustomLayer", "custom_1", ""));
        UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class,
                () -> TestModels.importJson(json, new TestModels.MapWeights()));
        String m = e.getMessage();
        assertTrue(m.contains("Lambda") && m.contains("my_lambda") && m.contains("Python code"), m);
        assertTrue(m.contains("FancyCustomLayer") && m.contains("custom_1"), m);
        assertTrue(m.contains("Supported Keras layer classes:") && m.contains("Conv2D") && m.contains("LSTM"), m);
        assertTrue(e.misses().size() == 2, "both layers are reported at once: " + e.misses());
    }

    @Test
    void weightsOnlyH5SaysSo() throws IOException {
        Path f = tmp.resolve("weights_only.h5");
        try (var w = io.jhdf.HdfFile.write(f)) {
            w.putGroup("dense").putDataset("kernel", new float[] {1f, 2f});
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> importer.read(f));
        assertTrue(e.getMessage().contains("model_config"), e.getMessage());
    }

    private Path zip(String name, Map<String, byte[]> entries) throws IOException {
        Path f = tmp.resolve(name);
        try (OutputStream os = Files.newOutputStream(f); ZipOutputStream z = new ZipOutputStream(os)) {
            for (var e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return f;
    }
}
