package dev.edgerun.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Value;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFolderTest {
    @TempDir
    Path dir;

    @Test
    void classFoldersOfImagesWithAnUnreadableFileSkippedByName() throws IOException {
        Files.createDirectories(dir.resolve("cat"));
        Files.createDirectories(dir.resolve("dog"));
        writePng(dir.resolve("cat/a.png"), 0xffffff, 16, 8);
        writePng(dir.resolve("dog/b.png"), 0x000000, 4, 4);
        Files.writeString(dir.resolve("dog/broken.png"), "not a png");
        Preprocessing p = Preprocessing.forInput(Value.tensor("x", DType.FLOAT, 1, 1, 4, 4), Map.of());
        List<String> warnings = new ArrayList<>();
        DataFolder.Samples s = DataFolder.read(dir, new DataFolder.Options(p, false, null, warnings::add));
        assertEquals(List.of("cat", "dog"), s.classes());
        assertEquals(2, s.count());
        assertArrayEquals(new int[] {0, 1}, s.labels());
        assertArrayEquals(new int[] {1, 4, 4}, s.sampleShape());
        assertEquals(1f, s.data()[0], 1e-3); // white, scaled by 1/255
        assertEquals(0f, s.data()[16], 1e-6);
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("broken.png"), warnings.get(0));
        DataException strict = assertThrows(DataException.class,
                () -> DataFolder.read(dir, new DataFolder.Options(p, true, null, null)));
        assertTrue(strict.getMessage().contains("broken.png"), strict.getMessage());
    }

    @Test
    void rgbNhwcWithMeanAndStd() throws IOException {
        BufferedImage img = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 2; y++) for (int x = 0; x < 2; x++) img.setRGB(x, y, 0xff8000);
        Preprocessing p = Preprocessing.forInput(Value.tensor("x", DType.FLOAT, 1, 2, 2, 3), Map.of())
                .with("mean", "0.5").with("std", "0.5");
        assertEquals(Preprocessing.Layout.NHWC, p.layout());
        float[] v = ImageInput.toSample(img, p);
        assertEquals(1f, v[0], 1e-6);            // R 255 -> (1 - 0.5) / 0.5
        assertEquals(0.0039f, v[1], 1e-3);       // G 128
        assertEquals(-1f, v[2], 1e-6);           // B 0
    }

    @Test
    void arrayPairWithIntegerImagesAndLabels() {
        byte[] pixels = new byte[3 * 2 * 2];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) (i * 4);
        Npy.write(Tensor.of(DType.UINT8, pixels, 3, 2, 2), dir.resolve("images.npy"));
        Npy.write(Tensor.of(new long[] {7, 3, 7}, 3), dir.resolve("labels.npy"));
        Preprocessing p = Preprocessing.forInput(Value.tensor("x", DType.FLOAT, 1, 1, 2, 2), Map.of("edgerun.preprocess.scale", "0.25"));
        DataFolder.Samples s = DataFolder.read(dir, DataFolder.Options.of(p));
        assertEquals(List.of("3", "7"), s.classes());
        assertArrayEquals(new int[] {1, 0, 1}, s.labels());
        assertEquals(3, s.count());
        assertEquals(1f, s.data()[1], 1e-6); // 4 * 0.25
    }

    @Test
    void testSetFoldersReadInputsNotOutputs() throws IOException {
        for (int i = 0; i < 2; i++) {
            Path set = Files.createDirectories(dir.resolve("test_data_set_" + i));
            Npy.write(Tensor.of(new float[] {i, i, i, i}, 1, 4), set.resolve("input_0.npy"));
            Npy.write(Tensor.of(new float[] {99}, 1, 1), set.resolve("output_0.npy"));
        }
        Preprocessing p = Preprocessing.forInput(Value.tensor("x", DType.FLOAT, 1, 4), Map.of());
        DataFolder.Samples s = DataFolder.read(dir, DataFolder.Options.of(p));
        assertEquals(2, s.count());
        assertEquals(1f, s.data()[4]);
        assertEquals(null, s.labels());
    }

    @Test
    void wavStereoPcm16IsMixedResampledAndPadded() throws IOException {
        short[] frames = {16384, -16384, 16384, 16384, 0, 0, -32768, -32768}; // 4 stereo frames at 8 kHz
        Path wav = dir.resolve("a.wav");
        writeWav(wav, frames, 2, 8000);
        AudioInput.Audio a = AudioInput.readWav(wav);
        assertEquals(8000, a.rate());
        assertArrayEquals(new float[] {0f, 0.5f, 0f, -1f}, a.samples(), 1e-6f);
        Preprocessing p = Preprocessing.forInput(Value.tensor("x", DType.FLOAT, 1, 10), Map.of("edgerun.preprocess.sample_rate", "16000"));
        float[] v = AudioInput.read(wav, p);
        assertEquals(10, v.length);
        assertEquals(0.25f, v[1], 1e-6); // halfway between 0 and 0.5
        assertEquals(0f, v[9], 0f);      // zero padding
    }

    @Test
    void logMelPeaksInTheBandOfATone() {
        Preprocessing p = Preprocessing.forInput(Value.tensor("x", DType.FLOAT, 1, 4, 40), Map.of("edgerun.preprocess.front_end", "logmel"));
        float[] tone = new float[(4 - 1) * 160 + 512];
        for (int i = 0; i < tone.length; i++) tone[i] = (float) Math.sin(2 * Math.PI * 1000 * i / 16000.0);
        float[][] m = AudioInput.logMel(tone, 4, p);
        int best = 0;
        for (int b = 1; b < 40; b++) if (m[0][b] > m[0][best]) best = b;
        // 1 kHz on a 0-8 kHz HTK mel scale with 40 bands lies near band 11
        assertTrue(best >= 9 && best <= 13, "peak band " + best);
        float[][] c = AudioInput.mfcc(m, 13);
        assertEquals(13, c[0].length);
    }

    private static void writePng(Path f, int rgb, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, rgb);
        ImageIO.write(img, "png", f.toFile());
    }

    private static void writeWav(Path f, short[] samples, int channels, int rate) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(44 + samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x46464952).putInt(36 + samples.length * 2).putInt(0x45564157);
        b.putInt(0x20746d66).putInt(16).putShort((short) 1).putShort((short) channels).putInt(rate)
                .putInt(rate * channels * 2).putShort((short) (channels * 2)).putShort((short) 16);
        b.putInt(0x61746164).putInt(samples.length * 2);
        for (short s : samples) b.putShort(s);
        Files.write(f, b.array());
    }
}
