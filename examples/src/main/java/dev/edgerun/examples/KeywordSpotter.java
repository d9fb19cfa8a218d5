package dev.edgerun.examples;

import dev.edgerun.finetune.Labels;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.data.AudioInput;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.LineUnavailableException;
import javax.sound.sampled.TargetDataLine;

/**
 * Example 2: streaming keyword spotting. Audio arrives in chunks (a WAV file read piece by piece, or
 * the microphone); a front end turns it into MFCC or log-mel frames; every {@code hop} frames the
 * last {@code window} frames go through the keyword model; posteriors are averaged over a few
 * windows, and a keyword whose smoothed posterior passes the threshold is reported with its time,
 * after which a refractory period keeps the same utterance from firing again.
 *
 * <pre>
 * examples/run KeywordSpotter --model kws.onnx --wav clip.wav [--labels labels.txt] [--hop-ms 100]
 *     [--smooth 3] [--threshold 0.8] [--refractory-ms 1000] [--background 0]
 *     [--vad vad.onnx --vad-threshold 0.5] [--state h_in=h_out] [--engine native]
 * examples/run KeywordSpotter --model kws.onnx --mic --seconds 10
 * </pre>
 *
 * Stateful models (their state outputs fed back as inputs) work as keyword or VAD model, see
 * {@link StreamingModel}. Once running, a window allocates nothing in this class or the front end;
 * what {@link Session#run} itself allocates is the engine's (see the README's figures).
 */
public final class KeywordSpotter implements AutoCloseable {

    /** Called for every detection; primitives only, so a detection costs nothing unless the listener allocates. */
    public interface Listener {
        void detected(int label, double startSeconds, double endSeconds, float score);
    }

    /**
     * @param sampleRate     Hz of the audio the front end takes (inputs at other rates are resampled first)
     * @param mfcc           MFCC (true) or log-mel (false) frames
     * @param fftSize        samples per frame (a power of two)
     * @param frameHop       samples between frames
     * @param mels           mel bands
     * @param windowFrames   frames per model window; 0 takes the model's fixed frame count
     * @param hopFrames      frames between two model windows (the window hop)
     * @param smoothWindows  posteriors averaged over this many windows
     * @param threshold      smoothed posterior a keyword must reach
     * @param refractorySeconds quiet time after a detection
     * @param background     class index never reported (silence / unknown), -1 for none
     * @param vadThreshold   speech probability the VAD must reach for the keyword model to run
     */
    public record Config(int sampleRate, boolean mfcc, int fftSize, int frameHop, int mels, int windowFrames, int hopFrames,
                         int smoothWindows, float threshold, double refractorySeconds, int background, float vadThreshold) {
        /** 16 kHz MFCC with 32 ms FFT frames every 20 ms (49 frames = 1 s), a window every 100 ms. */
        public static Config defaults() {
            return new Config(16000, true, 512, 320, 40, 0, 5, 3, 0.8f, 1.0, 0, 0.5f);
        }

        public Config withWindow(int frames, int hop) {
            return new Config(sampleRate, mfcc, fftSize, frameHop, mels, frames, hop, smoothWindows, threshold, refractorySeconds, background, vadThreshold);
        }

        public Config withDetection(int smooth, float thr, double refractory, int bg) {
            return new Config(sampleRate, mfcc, fftSize, frameHop, mels, windowFrames, hopFrames, smooth, thr, refractory, bg, vadThreshold);
        }

        public Config withFrontEnd(boolean useMfcc, int fft, int hop, int melBands) {
            return new Config(sampleRate, useMfcc, fft, hop, melBands, windowFrames, hopFrames, smoothWindows, threshold, refractorySeconds, background, vadThreshold);
        }

        public Config withVadThreshold(float t) {
            return new Config(sampleRate, mfcc, fftSize, frameHop, mels, windowFrames, hopFrames, smoothWindows, threshold, refractorySeconds, background, t);
        }
    }

    private final Config config;
    private final StreamingFrontEnd frontEnd;
    private final StreamingModel keywords;
    private final StreamingModel vad;              // null: every window runs the keyword model
    private final PosteriorSmoother smoother;
    private final Listener listener;
    private final int windowFrames;
    private final int bands;
    private final float[] frames;                  // (windowFrames, bands) ring of the latest frames
    private int frameRingPos;
    private long framesSeen;
    private final float[] vadSamples;              // (vad input size) ring of the latest raw samples
    private int vadPos;
    private final float[] posterior;               // (classes) probabilities of the current window
    private final float[] peak;                    // (classes) highest smoothed posterior so far
    private final long refractorySamples;
    private long lastDetectionEnd = Long.MIN_VALUE;
    private long windows, gatedWindows, detections;

    /**
     * Compiles nothing: the sessions are borrowed (a server shares them between streams) and must
     * outlive this spotter.
     *
     * @param vadSession null for no gating; else a model whose main input is the latest raw samples
     * @param statePairs explicit state input → output names of the keyword model (empty: by name)
     */
    public KeywordSpotter(Session keywordSession, Session vadSession, Config config, Map<String, String> statePairs, Listener listener) {
        this.config = config;
        this.listener = listener;
        Value in = mainInput(keywordSession, statePairs);
        long[] dims = in.shape().dims();
        if (dims.length < 2) throw new IllegalArgumentException("keyword model input '" + in.name() + "' " + in.shape()
                + " is not (..., frames, bands)");
        this.bands = (int) dims[dims.length - 1];
        if (bands <= 0) throw new IllegalArgumentException("the model's band dimension is symbolic: " + in.shape());
        if (!config.mfcc() && bands != config.mels()) throw new IllegalArgumentException("model takes " + bands
                + " log-mel bands, the front end makes " + config.mels() + " (set --mels " + bands + ")");
        long modelFrames = dims[dims.length - 2];
        this.windowFrames = config.windowFrames() > 0 ? config.windowFrames() : (int) modelFrames;
        if (windowFrames <= 0) throw new IllegalArgumentException("the model's frame count is symbolic; set the window length");
        if (modelFrames > 0 && modelFrames != windowFrames) throw new IllegalArgumentException("the model takes windows of "
                + modelFrames + " frames, the window is " + windowFrames + " frames");
        dims[dims.length - 2] = windowFrames;
        for (int i = 0; i < dims.length - 2; i++) if (dims[i] < 0) dims[i] = 1;
        if (config.hopFrames() < 1) throw new IllegalArgumentException("window hop must be at least 1 frame");
        this.frontEnd = new StreamingFrontEnd(config.sampleRate(), config.fftSize(), config.frameHop(), config.mels(), bands, config.mfcc());
        this.keywords = new StreamingModel(keywordSession, dims, statePairs);
        this.vad = vadSession == null ? null : new StreamingModel(vadSession, vadDims(vadSession), Map.of());
        this.vadSamples = new float[vad == null ? 0 : (int) vad.inputSize()];
        this.frames = new float[windowFrames * bands];
        this.posterior = new float[keywords.outputLength()];
        this.peak = new float[posterior.length];
        this.smoother = new PosteriorSmoother(posterior.length, config.smoothWindows());
        this.refractorySamples = Math.round(config.refractorySeconds() * config.sampleRate());
    }

    private static Value mainInput(Session s, Map<String, String> statePairs) {
        Map<String, String> pairs = statePairs.isEmpty() ? StreamingModel.findStatePairs(s) : statePairs;
        for (Value v : s.inputs()) if (!pairs.containsKey(v.name())) return v;
        throw new IllegalArgumentException("the keyword model has only state inputs");
    }

    private static long[] vadDims(Session s) {
        Value in = mainInput(s, Map.of());
        long[] d = in.shape().dims();
        for (int i = 0; i < d.length; i++) if (d[i] < 0) d[i] = 1;
        return d;
    }

    /** Feeds samples (mono, at the configured rate, in [-1, 1]); runs the models on every completed window. */
    public void accept(float[] samples, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            float s = samples[i];
            if (vadSamples.length > 0) {
                vadSamples[vadPos] = s;
                vadPos = vadPos + 1 == vadSamples.length ? 0 : vadPos + 1;
            }
            if (frontEnd.push(s)) addFrame(frontEnd.frame());
        }
    }

    private void addFrame(float[] frame) {
        System.arraycopy(frame, 0, frames, frameRingPos * bands, bands);
        frameRingPos = frameRingPos + 1 == windowFrames ? 0 : frameRingPos + 1;
        framesSeen++;
        if (framesSeen >= windowFrames && (framesSeen - windowFrames) % config.hopFrames() == 0) runWindow();
    }

    private void runWindow() {
        windows++;
        long end = frontEnd.samplesSeen();
        if (vad != null && speechProbability() < config.vadThreshold()) {
            gatedWindows++;
            return;
        }
        copyWindowInto(keywords.input());
        toProbabilities(keywords.run(), posterior);
        float[] smoothed = smoother.add(posterior);
        for (int c = 0; c < peak.length; c++) peak[c] = Math.max(peak[c], smoothed[c]);
        int best = -1;
        for (int c = 0; c < smoothed.length; c++) {
            if (c != config.background() && (best < 0 || smoothed[c] > smoothed[best])) best = c;
        }
        if (best < 0 || smoothed[best] < config.threshold()) return;
        if (lastDetectionEnd != Long.MIN_VALUE && end - lastDetectionEnd < refractorySamples) return;
        lastDetectionEnd = end;
        detections++;
        long start = end - windowSamples();
        listener.detected(best, (double) start / config.sampleRate(), (double) end / config.sampleRate(), smoothed[best]);
    }

    /** Frames oldest first, as the model expects them: (frames, bands) row-major. */
    private void copyWindowInto(MemorySegment dst) {
        int first = windowFrames - frameRingPos; // frames from the ring position to the end are the oldest
        MemorySegment.copy(frames, frameRingPos * bands, dst, ValueLayout.JAVA_FLOAT, 0, first * bands);
        MemorySegment.copy(frames, 0, dst, ValueLayout.JAVA_FLOAT, (long) first * bands * Float.BYTES, frameRingPos * bands);
    }

    private float speechProbability() {
        MemorySegment dst = vad.input();
        int first = vadSamples.length - vadPos;
        MemorySegment.copy(vadSamples, vadPos, dst, ValueLayout.JAVA_FLOAT, 0, first);
        MemorySegment.copy(vadSamples, 0, dst, ValueLayout.JAVA_FLOAT, (long) first * Float.BYTES, vadPos);
        float[] out = vad.run();
        return out[out.length - 1];
    }

    /** Softmax into {@code p} unless the model already ends in one. */
    static void toProbabilities(float[] scores, float[] p) {
        double sum = 0;
        boolean inRange = true;
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scores) {
            sum += s;
            inRange &= s >= 0 && s <= 1;
            max = Math.max(max, s);
        }
        if (inRange && Math.abs(sum - 1) < 1e-3) {
            System.arraycopy(scores, 0, p, 0, p.length);
            return;
        }
        double total = 0;
        for (int i = 0; i < p.length; i++) total += p[i] = (float) Math.exp(scores[i] - max);
        for (int i = 0; i < p.length; i++) p[i] /= (float) total;
    }

    /** Samples one model window covers. */
    public long windowSamples() {
        return frontEnd.fftSize() + (long) (windowFrames - 1) * frontEnd.hop();
    }

    public long windows() { return windows; }
    public long gatedWindows() { return gatedWindows; }
    public long detections() { return detections; }
    public long samplesSeen() { return frontEnd.samplesSeen(); }
    public int windowFrames() { return windowFrames; }
    public float[] lastPosterior() { return posterior; }
    /** Per class, the highest smoothed posterior of any window so far (what a whole clip "contains"). */
    public float[] peakPosterior() { return peak; }
    StreamingModel keywordModel() { return keywords; }

    @Override
    public void close() {
        keywords.close();
        if (vad != null) vad.close();
    }

    // ------------------------------------------------------------------ command line

    public static void main(String[] argv) throws Exception {
        Args.runMain(() -> run(argv));
    }

    private static void run(String[] argv) throws Exception {
        Args a = new Args(argv, "--mic", "--logmel");
        Config c = Config.defaults()
                .withFrontEnd(!a.has("--logmel"), a.getInt("--fft", 512), a.getInt("--frame-hop", 320), a.getInt("--mels", 40));
        int frameHopMs = 1000 * c.frameHop() / c.sampleRate();
        int windowFrames = a.has("--window-ms") ? 1 + (a.getInt("--window-ms", 0) * c.sampleRate() / 1000 - c.fftSize()) / c.frameHop() : 0;
        int hopFrames = Math.max(1, a.getInt("--hop-ms", 100) / Math.max(1, frameHopMs));
        c = c.withWindow(windowFrames, hopFrames)
                .withDetection(a.getInt("--smooth", 3), (float) a.getDouble("--threshold", 0.8), a.getInt("--refractory-ms", 1000) / 1000.0,
                        a.getInt("--background", 0))
                .withVadThreshold((float) a.getDouble("--vad-threshold", 0.5));
        SessionOptions options = SessionOptions.builder().engine(a.get("--engine", "native")).threads(a.getInt("--threads", 0)).build();
        try (Model m = Edgerun.load(Path.of(a.require("--model")));
             Session kws = Edgerun.session(m, options);
             Model vadModel = a.has("--vad") ? Edgerun.load(Path.of(a.get("--vad", null))) : null;
             Session vadSession = vadModel != null ? Edgerun.session(vadModel, options) : null) {
            List<String> labels = a.has("--labels") ? ImageClassifier.readLabels(Path.of(a.get("--labels", null))) : Labels.of(m.metadata());
            Listener print = (label, start, end, score) -> System.out.printf(Locale.ROOT, "%7.2f s - %7.2f s  %-12s %.3f%n",
                    start, end, label < labels.size() ? labels.get(label) : "class " + label, score);
            try (KeywordSpotter spotter = new KeywordSpotter(kws, vadSession, c, a.pairs("--state"), print)) {
                System.out.printf(Locale.ROOT, "window %d frames (%.0f ms), hop %d frames (%d ms), engine %s%n", spotter.windowFrames(),
                        1000.0 * spotter.windowSamples() / c.sampleRate(), c.hopFrames(), c.hopFrames() * frameHopMs, kws.engineName());
                long t0 = System.nanoTime();
                if (a.has("--mic")) listen(spotter, c.sampleRate(), a.getDouble("--seconds", 10));
                else streamFile(spotter, Path.of(a.require("--wav")), c.sampleRate(), 1600);
                double wall = (System.nanoTime() - t0) / 1e9, audio = (double) spotter.samplesSeen() / c.sampleRate();
                System.out.printf(Locale.ROOT, "%.2f s of audio, %d windows (%d gated by the VAD), %d detections; %.1fx real time%n",
                        audio, spotter.windows(), spotter.gatedWindows(), spotter.detections(), audio / wall);
            }
        }
    }

    /** Reads a WAV file (any rate, mixed to mono) and feeds it in chunks as a live stream would arrive. */
    public static void streamFile(KeywordSpotter spotter, Path wav, int rate, int chunk) {
        AudioInput.Audio audio = AudioInput.readWav(wav);
        float[] samples = AudioInput.resample(audio.samples(), audio.rate(), rate);
        for (int at = 0; at < samples.length; at += chunk) spotter.accept(samples, at, Math.min(chunk, samples.length - at));
    }

    /** The default microphone as 16-bit mono little-endian PCM at {@code rate} Hz. */
    private static void listen(KeywordSpotter spotter, int rate, double seconds) {
        AudioFormat format = new AudioFormat(rate, 16, 1, true, false);
        TargetDataLine line;
        try {
            line = AudioSystem.getTargetDataLine(format);
            line.open(format);
        } catch (LineUnavailableException | IllegalArgumentException | SecurityException e) {
            throw new IllegalStateException("no microphone usable at " + rate + " Hz mono 16-bit: " + e.getMessage(), e);
        }
        byte[] bytes = new byte[rate / 10 * 2];
        float[] samples = new float[bytes.length / 2];
        long total = (long) (seconds * rate);
        line.start();
        try {
            for (long got = 0; got < total; ) {
                int n = line.read(bytes, 0, bytes.length) / 2;
                for (int i = 0; i < n; i++) samples[i] = (short) ((bytes[2 * i] & 0xff) | (bytes[2 * i + 1] << 8)) / 32768f;
                spotter.accept(samples, 0, n);
                got += n;
            }
        } finally {
            line.stop();
            line.close();
        }
    }

}
