package dev.edgerun.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.data.AudioInput;
import dev.edgerun.runtime.ir.Model;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The mechanics of streaming keyword spotting: windows and their timestamps, smoothing, threshold,
 * refractory period, state fed back between windows, VAD gating, and no allocation per window.
 * The models have random or hand-made weights: recognition quality is not what is tested.
 */
class KeywordSpotterTest {
    private static final int RATE = 16000, FFT = 512, FRAME_HOP = 320, FRAMES = 49, HOP = 5;
    private static final long WINDOW = FFT + (FRAMES - 1) * FRAME_HOP;    // 15872 samples
    private static final SessionOptions ONE_THREAD = SessionOptions.builder().threads(1).build();

    record Detection(int label, double start, double end, float score) {}

    private static KeywordSpotter.Config config(int smooth, float threshold, double refractory, int background) {
        return KeywordSpotter.Config.defaults().withWindow(0, HOP).withDetection(smooth, threshold, refractory, background);
    }

    /** Window k (from 1) ends when frame 49 + (k - 1) * hop is complete. */
    private static long windowEnd(int k) {
        return FFT + (long) (FRAMES - 1 + (k - 1) * HOP) * FRAME_HOP;
    }

    private static long expectedWindows(long samples) {
        long frames = samples < FFT ? 0 : 1 + (samples - FFT) / FRAME_HOP;
        return frames < FRAMES ? 0 : 1 + (frames - FRAMES) / HOP;
    }

    private static float[] noise(int samples, long seed) {
        Random r = new Random(seed);
        float[] x = new float[samples];
        for (int i = 0; i < samples; i++) x[i] = (float) (0.3 * Math.sin(2 * Math.PI * 440 * i / RATE) + 0.05 * r.nextGaussian());
        return x;
    }

    @Test
    void stateIsFedBackAndRefractoryPeriodSpacesDetections() {
        try (Model m = TestModels.counter(FRAMES, 10); Session s = Edgerun.session(m, ONE_THREAD)) {
            List<Detection> got = new ArrayList<>();
            float[] audio = noise(6 * RATE, 1);
            try (KeywordSpotter k = new KeywordSpotter(s, null, config(1, 0.5f, 1.0, 0), Map.of(),
                    (label, start, end, score) -> got.add(new Detection(label, start, end, score)))) {
                for (int at = 0; at < audio.length; at += 1000) k.accept(audio, at, Math.min(1000, audio.length - at));
                assertEquals(expectedWindows(audio.length), k.windows());
                assertEquals(1, k.keywordModel().stateCount(), "count_in/count_out found as a state pair by name");
                assertEquals(k.windows(), k.keywordModel().stateValue(0, 0), 0, "the state counted every window");
                // The keyword fires from window 5; then at most once per second (1600 samples per window hop).
                List<Double> ends = new ArrayList<>();
                for (long e = windowEnd(5); e <= audio.length; e += RATE) ends.add((double) e / RATE);
                assertEquals(ends, got.stream().map(Detection::end).toList());
                for (Detection d : got) {
                    assertEquals(1, d.label());
                    assertEquals(d.end() - (double) WINDOW / RATE, d.start(), 1e-9);
                    assertEquals(1f, d.score(), 1e-6f);
                }
            }
        }
    }

    @Test
    void smoothingDelaysTheFirstDetection() {
        try (Model m = TestModels.counter(FRAMES, 10); Session s = Edgerun.session(m, ONE_THREAD)) {
            List<Detection> got = new ArrayList<>();
            float[] audio = noise(3 * RATE, 2);
            try (KeywordSpotter k = new KeywordSpotter(s, null, config(3, 0.5f, 10, 0), Map.of(),
                    (label, start, end, score) -> got.add(new Detection(label, start, end, score)))) {
                k.accept(audio, 0, audio.length);
            }
            // window 5 averages (0, 0, 1) = 0.33 < 0.5; window 6 averages (0, 1, 1) = 0.67
            assertEquals(1, got.size());
            assertEquals((double) windowEnd(6) / RATE, got.getFirst().end(), 1e-9);
            assertEquals(2 / 3f, got.getFirst().score(), 1e-6f);
        }
    }

    @Test
    void vadGatesSilenceAndStatefulVadFeedsBack() throws Exception {
        float[] speech = AudioInput.readWav(Shared.clip("hello_edge.wav")).samples();
        float[] audio = new float[2 * RATE + speech.length]; // 1 s of silence, the clip, 1 s of silence
        System.arraycopy(speech, 0, audio, RATE, speech.length);
        try (Model km = TestModels.counter(FRAMES, 10); Session ks = Edgerun.session(km, ONE_THREAD);
             Model vm = TestModels.energyVad(FRAME_HOP); Session vs = Edgerun.session(vm, ONE_THREAD);
             KeywordSpotter k = new KeywordSpotter(ks, vs, config(1, 2f, 1, 0), Map.of(), (l, a, b, c) -> {})) {
            k.accept(audio, 0, audio.length);
            long windows = expectedWindows(audio.length);
            assertEquals(windows, k.windows());
            assertTrue(k.gatedWindows() > 0, "windows ending in silence are gated");
            assertTrue(k.gatedWindows() < windows, "windows ending in speech pass");
            assertEquals(windows - k.gatedWindows(), k.keywordModel().stateValue(0, 0), 0,
                    "the keyword model ran exactly on the windows the VAD let through");
        }
    }

    @Test
    void dscnnOverSpeechClipGivesOrderedTimestampsAndHonoursThreshold() throws Exception {
        Model m = Edgerun.load(Shared.model("kws_dscnn"));
        try (m; Session s = Edgerun.session(m, ONE_THREAD)) {
            float[] audio = AudioInput.readWav(Shared.clip("hello_edge.wav")).samples();
            List<Detection> got = new ArrayList<>();
            try (KeywordSpotter k = new KeywordSpotter(s, null, config(2, 0f, 0.5, -1), Map.of(),
                    (label, start, end, score) -> got.add(new Detection(label, start, end, score)))) {
                k.accept(audio, 0, audio.length);
                assertEquals(expectedWindows(audio.length), k.windows());
                float sum = 0;
                for (float p : k.lastPosterior()) sum += p;
                assertEquals(1f, sum, 1e-4f, "posteriors are probabilities (softmax of the logits)");
            }
            assertTrue(got.size() >= 2, "threshold 0 fires once per refractory period: " + got);
            for (int i = 1; i < got.size(); i++) assertTrue(got.get(i).end() - got.get(i - 1).end() >= 0.5 - 1e-9, got.toString());
            for (Detection d : got) assertTrue(d.end() <= (double) audio.length / RATE && d.score() > 0);

            int[] none = {0};
            try (KeywordSpotter k = new KeywordSpotter(s, null, config(2, 1.01f, 0.5, -1), Map.of(), (l, a, b, c) -> none[0]++)) {
                k.accept(audio, 0, audio.length);
            }
            assertEquals(0, none[0], "nothing passes a threshold above 1");
        }
    }

    @Test
    void logMelFrontEndFeedsAnLstmModel() throws Exception {
        Model m = Edgerun.load(Shared.model("kws_lstm"));   // input (1, 49, 40) log-mel
        try (m; Session s = Edgerun.session(m, ONE_THREAD)) {
            float[] audio = AudioInput.readWav(Shared.clip("yes_no.wav")).samples();
            KeywordSpotter.Config c = config(1, 0f, 0.2, -1).withFrontEnd(false, FFT, FRAME_HOP, 40).withWindow(0, 1);
            int[] detections = {0};
            try (KeywordSpotter k = new KeywordSpotter(s, null, c, Map.of(), (l, a, b, sc) -> detections[0]++)) {
                k.accept(audio, 0, audio.length);
                long frames = 1 + (audio.length - FFT) / FRAME_HOP;
                assertEquals(frames - FRAMES + 1, k.windows(), "a window per frame with a hop of 1 frame");
                assertEquals(12, k.lastPosterior().length);
            }
            assertTrue(detections[0] >= 1);
        }
    }

    @Test
    void steadyStateWindowsAllocateNothingBeyondTheEnginesRun() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long me = Thread.currentThread().threadId();
        try (Model m = TestModels.counter(FRAMES, 10); Session s = Edgerun.session(m, ONE_THREAD);
             KeywordSpotter k = new KeywordSpotter(s, null, config(3, 0.5f, 1, 0), Map.of(), (l, a, b, c) -> {})) {
            float[] audio = noise(40 * RATE, 3);
            int chunk = 1600, warm = 10 * RATE;
            for (int at = 0; at < warm; at += chunk) k.accept(audio, at, chunk);
            long windows0 = k.windows(), before = mx.getThreadAllocatedBytes(me);
            for (int at = warm; at < audio.length; at += chunk) k.accept(audio, at, chunk);
            long spotterBytes = mx.getThreadAllocatedBytes(me) - before;
            long windows = k.windows() - windows0;

            // What Session.run alone allocates per call on the same model (the engine's result map and tensors).
            long runBytes;
            try (Tensor x = Tensor.allocate(dev.edgerun.runtime.DType.FLOAT, 1, 1, FRAMES, 10);
                 Tensor c = Tensor.of(new float[] {0}, 1, 1)) {
                Map<String, Tensor> feed = new HashMap<>(Map.of("features", x, "count_in", c));
                for (int i = 0; i < 200; i++) closeRun(s, feed);
                long b = mx.getThreadAllocatedBytes(me);
                for (int i = 0; i < windows; i++) closeRun(s, feed);
                runBytes = mx.getThreadAllocatedBytes(me) - b;
            }
            double perWindow = (double) spotterBytes / windows, perRun = (double) runBytes / windows;
            System.out.printf(Locale.ROOT, "steady state over %d windows: %.1f bytes/window in all, Session.run alone %.1f bytes/call%n",
                    windows, perWindow, perRun);
            assertTrue(windows >= 290, "windows measured: " + windows);
            assertTrue(perWindow <= perRun + 8, String.format(Locale.ROOT,
                    "the spotter allocates %.1f bytes per window beyond Session.run (%.1f vs %.1f)", perWindow - perRun, perWindow, perRun));
        }
    }

    private static void closeRun(Session s, Map<String, Tensor> feed) {
        try (RunResult r = s.run(feed)) {
            r.get(0);
        }
    }

    @Test
    void commandLineWithStatefulModelAndVadFromFiles(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path kws = dir.resolve("counter.onnx"), vad = dir.resolve("vad.onnx");
        try (Model k = TestModels.counter(FRAMES, 10); Model v = TestModels.energyVad(FRAME_HOP)) {
            dev.edgerun.onnx.OnnxModels.write(k, kws);
            dev.edgerun.onnx.OnnxModels.write(v, vad);
        }
        String out = Shared.stdout(() -> KeywordSpotter.main(new String[] {"--model", kws.toString(), "--vad", vad.toString(),
                "--wav", Shared.clip("hello_edge.wav").toString(), "--smooth", "1", "--threshold", "0.5"}));
        // hello_edge.wav starts and ends with espeak's short silences; the counter fires from its 5th run
        assertTrue(out.matches("(?s).*16 windows \\(\\d+ gated by the VAD\\), 1 detections.*"), out);
        assertTrue(out.contains("class 1"), out);
    }

    @Test
    void commandLineReportsDetectionsAndRealTimeFactor() throws Exception {
        String model = Shared.model("kws_dscnn").toString();
        String out = Shared.stdout(() -> KeywordSpotter.main(new String[] {"--model", model, "--wav", Shared.clip("hello_edge.wav").toString(),
                "--threshold", "0", "--background", "-1", "--refractory-ms", "500", "--hop-ms", "100"}));
        assertTrue(out.contains("window 49 frames (992 ms), hop 5 frames (100 ms)"), out);
        assertTrue(out.matches("(?s).*\\d+\\.\\d\\dx? s - .*") || out.contains(" s - "), out);
        assertTrue(out.contains("x real time"), out);
    }
}
