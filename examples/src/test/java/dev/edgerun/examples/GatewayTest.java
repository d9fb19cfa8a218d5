package dev.edgerun.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.SessionOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starts the gateway on a loopback port and talks real HTTP to it. */
class GatewayTest {
    private static final int MAX_BYTES = 256 * 1024;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private Gateway start(int workers, int queue) throws IOException {
        ImageClassifier images = new ImageClassifier(Shared.model("mobilenet_v2"), null, SessionOptions.defaults(), Map.of());
        return new Gateway(images, Edgerun.load(Shared.model("kws_dscnn")), SessionOptions.defaults(), List.of(),
                KeywordSpotter.Config.defaults().withDetection(2, 0f, 0.5, -1),
                Gateway.Config.defaults().withPort(0).withLimits(workers, queue, MAX_BYTES));
    }

    private HttpResponse<String> post(Gateway g, String path, byte[] body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + path))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(Gateway g, String path) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + path)).timeout(Duration.ofSeconds(30)).GET().build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] png(Path dir) throws Exception {
        return Files.readAllBytes(ImageClassifierTest.writeTestImage(dir, "up.png", 256, 256));
    }

    @Test
    void answersImagesAndAudioAndSurvivesBadRequests(@TempDir Path dir) throws Exception {
        byte[] image = png(dir);
        byte[] wav = Files.readAllBytes(Shared.clip("hello_edge.wav"));
        try (Gateway g = start(2, 4)) {
            assertEquals(200, get(g, "/health").statusCode());

            HttpResponse<String> ok = post(g, "/classify/image", image);
            assertEquals(200, ok.statusCode(), ok.body());
            assertTrue(ok.body().startsWith("{\"image\":\"upload\",\"top\":[{\"label\":"), ok.body());
            assertEquals("application/json; charset=utf-8", ok.headers().firstValue("Content-Type").orElseThrow());

            HttpResponse<String> audio = post(g, "/classify/audio", wav);
            assertEquals(200, audio.statusCode(), audio.body());
            assertTrue(audio.body().contains("\"detections\":[{") && audio.body().contains("\"windows\":16"), audio.body());

            expect(400, "not an image", post(g, "/classify/image", "hello".getBytes()));
            expect(400, "not a WAV", post(g, "/classify/audio", image));
            expect(400, "unreadable WAV", post(g, "/classify/audio", "RIFF\0\0\0\0WAVEjunkjunk".getBytes()));
            expect(400, "shorter than one window", post(g, "/classify/audio", java.util.Arrays.copyOf(wav, 8000)));
            expect(400, "empty body", post(g, "/classify/image", new byte[0]));
            expect(413, "larger than " + MAX_BYTES, post(g, "/classify/image", new byte[4 * MAX_BYTES]));
            expect(404, "no endpoint", post(g, "/nope", image));
            expect(405, "takes POST", get(g, "/classify/image"));

            HttpResponse<String> after = post(g, "/classify/image", image);
            assertEquals(ok.body().replaceAll("\"millis\":[0-9.E-]+", ""), after.body().replaceAll("\"millis\":[0-9.E-]+", ""),
                    "after the errors the server still serves, with the same answer");
            assertTrue(get(g, "/health").body().contains("\"served\":3"));
        }
    }

    @Test
    void fullQueueAnswers503AndCloseLetsTheRunningRequestFinish(@TempDir Path dir) throws Exception {
        byte[] image = png(dir);
        Gateway g = start(1, 0);
        CountDownLatch inside = new CountDownLatch(1), release = new CountDownLatch(1);
        g.inferenceHook = () -> {
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
            try {
                return post(g, "/classify/image", image);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(inside.await(30, TimeUnit.SECONDS));
        HttpResponse<String> busy = post(g, "/classify/image", image);
        expect(503, "busy", busy);
        assertEquals("1", busy.headers().firstValue("Retry-After").orElseThrow());

        Thread closer = Thread.ofPlatform().start(g::close);   // graceful: waits for the running request
        Thread.sleep(300);
        release.countDown();
        assertEquals(200, first.get(30, TimeUnit.SECONDS).statusCode(), "the request running at shutdown completes");
        closer.join(30_000);
        assertThrows(IOException.class, () -> post(g, "/classify/image", image), "the port is closed after shutdown");
    }

    @Test
    void throughputOnLoopback(@TempDir Path dir) throws Exception {
        byte[] image = png(dir);
        try (Gateway g = start(2, 16)) {
            for (int i = 0; i < 5; i++) post(g, "/classify/image", image); // warm-up
            report("image 256x256, mobilenet_v2", g, "/classify/image", image, 4, 3000);
            report("malformed body (400)", g, "/classify/image", "junk".getBytes(), 4, 1000);
            report("oversized body (413)", g, "/classify/image", new byte[MAX_BYTES + 1], 4, 1000);
            assertEquals(200, post(g, "/classify/image", image).statusCode());
        }
    }

    /** Requests per second with {@code clients} threads posting for {@code millis}. */
    private void report(String what, Gateway g, String path, byte[] body, int clients, long millis) throws Exception {
        AtomicInteger done = new AtomicInteger();
        List<Integer> codes = java.util.Collections.synchronizedList(new ArrayList<>());
        long end = System.nanoTime() + millis * 1_000_000, t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            threads.add(Thread.ofPlatform().start(() -> {
                while (System.nanoTime() < end) {
                    try {
                        codes.add(post(g, path, body).statusCode());
                        done.incrementAndGet();
                    } catch (Exception e) {
                        codes.add(-1);
                    }
                }
            }));
        }
        for (Thread t : threads) t.join();
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<Integer, Long> histogram = new java.util.TreeMap<>();
        for (int c : codes) histogram.merge(c, 1L, Long::sum);
        System.out.printf(Locale.ROOT, "gateway %s: %.1f requests/s with %d clients, status counts %s%n",
                what, done.get() / seconds, clients, histogram);
        assertTrue(done.get() > 0 && !histogram.containsKey(-1), "every request got an answer: " + histogram);
    }

    private static void expect(int status, String text, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.body().startsWith("{\"error\":") && r.body().contains(text), r.body());
    }
}
