package dev.edgerun.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.edgerun.finetune.Labels;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.ir.Model;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;

/**
 * Example 4: the service an IoT gateway runs. The JDK's own HTTP server takes an image or a WAV
 * upload and answers with labels as JSON:
 *
 * <pre>
 * POST /classify/image   body: PNG/JPEG/BMP/GIF bytes  → {"top":[{"label":..,"probability":..}], "millis":..}
 * POST /classify/audio   body: WAV bytes               → {"top":[..], "detections":[{"label":..,"start":..,"end":..}]}
 * GET  /health                                          → {"status":"ok", ...counters}
 *
 * examples/run Gateway --image-model model.onnx [--labels labels.txt] [--audio-model kws.onnx]
 *     [--port 8080] [--bind 127.0.0.1] [--workers 2] [--queue 8] [--max-bytes 4194304] [--engine native]
 * </pre>
 *
 * One session per model serves every request thread (sessions are thread-safe). Requests are
 * handled on virtual threads; at most {@code workers} run inference at once, at most {@code queue}
 * more wait, and the rest get 503 at once, so a burst cannot pile up memory. Bodies larger than
 * {@code maxBytes} get 413, bodies that are not an image/WAV get 400; the server keeps serving.
 * {@link #close()} stops accepting, lets running requests finish (up to a grace period), then frees
 * the sessions; {@link #main} installs it as a shutdown hook, so SIGTERM from systemd is graceful.
 */
public final class Gateway implements AutoCloseable {

    /** Limits and address; {@code port} 0 picks a free port. */
    public record Config(String bind, int port, int workers, int queue, int maxBytes, int topK, int graceSeconds) {
        public static Config defaults() {
            return new Config("127.0.0.1", 8080, 2, 8, 4 << 20, 5, 5);
        }

        public Config withPort(int p) {
            return new Config(bind, p, workers, queue, maxBytes, topK, graceSeconds);
        }

        public Config withLimits(int w, int q, int max) {
            return new Config(bind, port, w, q, max, topK, graceSeconds);
        }
    }

    private static final int DRAIN_LIMIT = 64 << 20; // an oversized body is read and dropped up to this, so the client sees the 413

    private final Config config;
    private final ImageClassifier images;          // null: no image endpoint
    private final Model audioModel;                // null: no audio endpoint
    private final Session audio;                   // compiled from audioModel, shared by every request
    private final List<String> audioLabels;
    private final KeywordSpotter.Config audioConfig;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore admitted;              // running + waiting requests
    private final Semaphore running;               // requests in inference
    private final AtomicLong served = new AtomicLong(), rejected = new AtomicLong(), failed = new AtomicLong();
    private volatile boolean stopping;
    volatile Runnable inferenceHook = () -> {};   // tests hold a request inside inference with it

    /**
     * Starts serving at once. The gateway owns {@code images} and {@code audioModel} and closes them.
     *
     * @param audioLabels class names of the audio model (empty: its {@code edgerun.labels} metadata, else indices)
     */
    public Gateway(ImageClassifier images, Model audioModel, SessionOptions audioOptions, List<String> audioLabels,
                   KeywordSpotter.Config audioConfig, Config config) throws IOException {
        if (images == null && audioModel == null) throw new IllegalArgumentException("give an image model, an audio model or both");
        this.config = config;
        this.images = images;
        this.audioModel = audioModel;
        this.audio = audioModel == null ? null : Edgerun.session(audioModel, audioOptions);
        if (audioModel != null && audioLabels.isEmpty()) audioLabels = Labels.of(audioModel.metadata());
        this.audioLabels = audioLabels;
        this.audioConfig = audioConfig;
        this.admitted = new Semaphore(config.workers() + config.queue());
        this.running = new Semaphore(config.workers());
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(config.bind()), config.port()), 64);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            if (path.equals("/health")) {
                respond(x, 200, health());
                return;
            }
            boolean isImage = path.equals("/classify/image"), isAudio = path.equals("/classify/audio");
            if (!isImage && !isAudio) {
                drainAndRespond(x, 404, error("no endpoint " + path + "; use POST /classify/image, POST /classify/audio or GET /health"));
                return;
            }
            if (!x.getRequestMethod().equals("POST")) {
                x.getResponseHeaders().set("Allow", "POST");
                drainAndRespond(x, 405, error(path + " takes POST, not " + x.getRequestMethod()));
                return;
            }
            if ((isImage && images == null) || (isAudio && audio == null)) {
                drainAndRespond(x, 404, error("this gateway was started without an " + (isImage ? "image" : "audio") + " model"));
                return;
            }
            if (stopping || !admitted.tryAcquire()) {
                rejected.incrementAndGet();
                x.getResponseHeaders().set("Retry-After", "1");
                drainAndRespond(x, 503, error(stopping ? "shutting down" : "busy: " + config.workers() + " running and "
                        + config.queue() + " waiting; retry later"));
                return;
            }
            try {
                byte[] body = readBody(x);
                if (body == null) {
                    rejected.incrementAndGet();
                    respond(x, 413, error("body larger than " + config.maxBytes() + " bytes"));
                    return;
                }
                running.acquireUninterruptibly();
                try {
                    inferenceHook.run();
                    Map<String, Object> answer = isImage ? classifyImage(body) : classifyAudio(body);
                    served.incrementAndGet();
                    respond(x, 200, answer);
                } finally {
                    running.release();
                }
            } catch (BadRequest e) {
                failed.incrementAndGet();
                respond(x, 400, error(e.getMessage()));
            } catch (EdgerunException | IllegalArgumentException | IllegalStateException e) {
                failed.incrementAndGet();
                respond(x, 500, error("inference failed: " + e.getMessage()));
            } finally {
                admitted.release();
            }
        }
    }

    /** A client error: the upload is not what the endpoint takes. */
    private static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }

    private Map<String, Object> classifyImage(byte[] body) {
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(body));
        } catch (IOException | RuntimeException e) {
            throw new BadRequest("unreadable image: " + e.getMessage());
        }
        if (img == null) throw new BadRequest("the body is not an image ImageIO can read (PNG, JPEG, BMP, GIF); " + body.length + " bytes");
        return images.classify(img, "upload", config.topK()).toJson();
    }

    private Map<String, Object> classifyAudio(byte[] body) throws IOException {
        if (body.length < 12 || !new String(body, 0, 4, StandardCharsets.US_ASCII).equals("RIFF")) {
            throw new BadRequest("the body is not a WAV file (no RIFF header); " + body.length + " bytes");
        }
        Path tmp = Files.createTempFile("edgerun-gateway", ".wav"); // AudioInput decodes files
        try {
            Files.write(tmp, body);
            List<Object> detections = new ArrayList<>();
            KeywordSpotter.Listener collect = (label, start, end, score) -> detections.add(entries(
                    "label", labelOf(label), "start", start, "end", end, "score", score));
            long t0 = System.nanoTime();
            try (KeywordSpotter spotter = new KeywordSpotter(audio, null, audioConfig, Map.of(), collect)) {
                try {
                    KeywordSpotter.streamFile(spotter, tmp, audioConfig.sampleRate(), 4096);
                } catch (EdgerunException e) {
                    throw new BadRequest("unreadable WAV: " + e.getMessage());
                }
                if (spotter.windows() == 0) {
                    throw new BadRequest("the clip is shorter than one window (" + spotter.windowSamples() + " samples at "
                            + audioConfig.sampleRate() + " Hz)");
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("top", topOf(spotter.peakPosterior()));
                m.put("detections", detections);
                m.put("windows", spotter.windows());
                m.put("millis", (System.nanoTime() - t0) / 1e6);
                return m;
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private List<Object> topOf(float[] p) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < p.length; i++) order.add(i);
        order.sort((a, b) -> Float.compare(p[b], p[a]));
        List<Object> top = new ArrayList<>();
        for (int i : order.subList(0, Math.min(config.topK(), order.size()))) {
            top.add(entries("label", labelOf(i), "index", i, "probability", p[i]));
        }
        return top;
    }

    private String labelOf(int i) {
        return i < audioLabels.size() ? audioLabels.get(i) : Integer.toString(i);
    }

    /** The body, or null when it is larger than the limit (then it has been read and dropped). */
    private byte[] readBody(HttpExchange x) throws IOException {
        String length = x.getRequestHeaders().getFirst("Content-Length");
        if (length != null && parseLength(length) > config.maxBytes()) {
            drain(x.getRequestBody());
            return null;
        }
        InputStream in = x.getRequestBody();
        byte[] body = in.readNBytes(config.maxBytes() + 1);
        if (body.length > config.maxBytes()) {
            drain(in);
            return null;
        }
        if (body.length == 0) throw new BadRequest("empty body; send the file as the request body");
        return body;
    }

    private static long parseLength(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new BadRequest("bad Content-Length '" + s + "'");
        }
    }

    private static void drain(InputStream in) throws IOException {
        long dropped = 0;
        byte[] buf = new byte[8192];
        for (int n; dropped < DRAIN_LIMIT && (n = in.read(buf)) > 0; ) dropped += n;
    }

    private void drainAndRespond(HttpExchange x, int status, Map<String, Object> body) throws IOException {
        drain(x.getRequestBody());
        respond(x, status, body);
    }

    private static void respond(HttpExchange x, int status, Map<String, Object> body) throws IOException {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** A JSON object with its keys in the order given. */
    private static Map<String, Object> entries(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }

    private static Map<String, Object> error(String message) {
        return Map.of("error", message);
    }

    private Map<String, Object> health() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", stopping ? "stopping" : "ok");
        m.put("image_engine", images == null ? null : images.engineDescription());
        m.put("audio_engine", audio == null ? null : audio.engineName());
        m.put("served", served.get());
        m.put("rejected", rejected.get());
        m.put("failed", failed.get());
        m.put("running", config.workers() - running.availablePermits());
        return m;
    }

    /** Stops accepting, waits for running requests (up to the grace period), then frees the models. */
    @Override
    public synchronized void close() {
        if (stopping && threads.isShutdown()) return;
        stopping = true;
        server.stop(config.graceSeconds());
        threads.shutdown();
        try {
            threads.awaitTermination(config.graceSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (images != null) images.close();
        if (audio != null) audio.close();
        if (audioModel != null) audioModel.close();
    }

    public static void main(String[] argv) throws Exception {
        Args.runMain(() -> run(argv));
    }

    private static void run(String[] argv) throws IOException, InterruptedException {
        Args a = new Args(argv);
        Config c = new Config(a.get("--bind", "127.0.0.1"), a.getInt("--port", 8080), a.getInt("--workers", 2),
                a.getInt("--queue", 8), a.getInt("--max-bytes", 4 << 20), a.getInt("--top", 5), a.getInt("--grace-seconds", 5));
        SessionOptions options = SessionOptions.builder().engine(a.get("--engine", "native")).threads(a.getInt("--threads", 0)).build();
        ImageClassifier images = a.has("--image-model") ? new ImageClassifier(Path.of(a.get("--image-model", null)),
                a.has("--labels") ? Path.of(a.get("--labels", null)) : null, options, a.pairs("--pre")) : null;
        Model audio = a.has("--audio-model") ? Edgerun.load(Path.of(a.get("--audio-model", null))) : null;
        List<String> audioLabels = a.has("--audio-labels") ? ImageClassifier.readLabels(Path.of(a.get("--audio-labels", null))) : List.of();
        KeywordSpotter.Config kws = KeywordSpotter.Config.defaults().withDetection(3, (float) a.getDouble("--threshold", 0.8), 1.0, 0);
        Gateway g = new Gateway(images, audio, options, audioLabels, kws, c);
        Runtime.getRuntime().addShutdownHook(new Thread(g::close, "gateway-shutdown"));
        System.out.println("gateway listening on http://" + c.bind() + ":" + g.port() + " (Ctrl-C or SIGTERM stops it gracefully)");
        Thread.currentThread().join(); // serve until the JVM is told to stop
    }
}
