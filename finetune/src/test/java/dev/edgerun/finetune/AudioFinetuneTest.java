package dev.edgerun.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.finetune.nn.Optimizer;
import dev.edgerun.finetune.nn.Schedule;
import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.data.DataFolder;
import dev.edgerun.runtime.data.Preprocessing;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Class folders of WAV files (low and high whistles at 8 kHz, resampled to the model's 16 kHz, log-mel
 * front end) through a small keyword-spotting-shaped model: the audio path of fine-tuning end to end.
 */
class AudioFinetuneTest {
    @TempDir
    Path dir;

    @Test
    void logMelWavFoldersTrainANewHead() throws Exception {
        Random r = new Random(1);
        for (String cls : List.of("low", "high")) {
            Files.createDirectories(dir.resolve("data").resolve(cls));
            for (int i = 0; i < 8; i++) {
                double hz = (cls.equals("low") ? 500 : 2500) * (0.9 + 0.2 * r.nextDouble());
                writeTone(dir.resolve("data").resolve(cls).resolve(i + ".wav"), hz, 8000, 1200, r);
            }
        }
        Files.writeString(dir.resolve("data/low/corrupt.wav"), "RIFF....nope");
        Path base = dir.resolve("kws.onnx");
        try (Model m = baseModel()) {
            OnnxModels.write(m, base);
        }
        TrainConfig c = new TrainConfig(40, 4, 1e-2, Optimizer.Kind.ADAM, 0.9f, 0f, Schedule.parse("cosine"), 0, 0, 1, 0f, null);
        Path out = dir.resolve("kws_tuned.onnx");
        FinetuneJob.Result res = new FinetuneJob(base, dir.resolve("data"), out, null, Head.parse("linear"), 0, c,
                Map.of("front_end", "logmel", "mels", "40", "sample_rate", "16000"), false, SessionOptions.defaults(), null, null)
                .run(s -> {}, Trainer.Progress.NONE);
        assertEquals(List.of("high", "low"), res.classes());
        assertEquals(1, res.skipped().size());
        assertTrue(res.skipped().get(0).contains("corrupt.wav"), res.skipped().get(0));
        try (Model m = Edgerun.load(out)) {
            Preprocessing p = Preprocessing.forInput(m.graph().requiredInputs().get(0), m.metadata());
            assertEquals(Preprocessing.FrontEnd.LOGMEL, p.frontEnd()); // stored in the metadata by fine-tuning
            Evaluation e = Evaluation.run(m, DataFolder.read(dir.resolve("data"), DataFolder.Options.of(p)), SessionOptions.defaults(), 8);
            assertEquals(1.0, e.accuracy(), 1e-9);
        }
    }

    /** (batch, 10 frames, 40 mels) -> Flatten -> Gemm 400->16 -> Relu -> Gemm 16->3 (an unrelated classifier to replace). */
    private static Model baseModel() {
        Random r = new Random(2);
        Tensor w1 = Tensor.of(randoms(r, 16 * 400, 0.05f), 16, 400);
        Tensor w2 = Tensor.of(randoms(r, 3 * 16, 0.2f), 3, 16);
        Graph g = Graph.builder("kws")
                .input(Value.tensor("mel", DType.FLOAT, Shape.symbolic(new long[] {-1, 10, 40}, new String[] {"batch", null, null})))
                .output(Value.tensor("logits", DType.FLOAT, Shape.symbolic(new long[] {-1, 3}, new String[] {"batch", null})))
                .initializer("w1", w1).initializer("w2", w2)
                .node("Flatten", List.of("mel"), List.of("flat"), Attribute.of("axis", 1L))
                .node("Gemm", List.of("flat", "w1"), List.of("h"), Attribute.of("transB", 1L))
                .node("Relu", List.of("h"), List.of("hr"))
                .node("Gemm", List.of("hr", "w2"), List.of("logits"), Attribute.of("transB", 1L))
                .build();
        return Model.builder().graph(g).opset(17).owner(() -> List.of(w1, w2).forEach(Tensor::close)).build();
    }

    private static float[] randoms(Random r, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian() * scale;
        return v;
    }

    private static void writeTone(Path f, double hz, int rate, int samples, Random r) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x46464952).putInt(36 + samples * 2).putInt(0x45564157);
        b.putInt(0x20746d66).putInt(16).putShort((short) 1).putShort((short) 1).putInt(rate).putInt(rate * 2)
                .putShort((short) 2).putShort((short) 16);
        b.putInt(0x61746164).putInt(samples * 2);
        double phase = r.nextDouble() * 2 * Math.PI;
        for (int i = 0; i < samples; i++) {
            double v = 0.5 * Math.sin(2 * Math.PI * hz * i / rate + phase) + 0.05 * r.nextGaussian();
            b.putShort((short) Math.round(Math.max(-1, Math.min(1, v)) * 32767));
        }
        Files.write(f, b.array());
    }
}
