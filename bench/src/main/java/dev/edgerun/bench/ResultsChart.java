package dev.edgerun.bench;

import dev.edgerun.runtime.io.Json;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/**
 * Turns a JMH JSON result file into {@code results.csv}, a markdown table ({@code results.md}) and a
 * bar chart of the ratios native/ONNX Runtime of the median latency ({@code ratios.png}), and puts the table into
 * README.md between the markers {@value #START} and {@value #END}.
 *
 * <p>Usage: {@code ResultsChart RESULT.json OUT_DIR README.md LOAD_TEXT COMMAND_TEXT}
 */
public final class ResultsChart {
    static final String START = "<!-- bench-results:start -->";
    static final String END = "<!-- bench-results:end -->";
    private static final List<String> NATIVE = List.of("native-java", "native-onednn", "native-xnnpack");

    /** One benchmarked workload at one thread count, its median (else mean) µs per engine. */
    record Row(String workload, int threads, Map<String, Double> micros) {
        Double ratio(String nativeEngine) {
            Double n = micros.get(nativeEngine), o = micros.get(EngineSetup.ONNXRUNTIME);
            return n == null || o == null ? null : n / o;
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 5) {
            System.err.println("usage: ResultsChart RESULT.json OUT_DIR README.md LOAD_TEXT COMMAND_TEXT");
            System.exit(2);
        }
        Path json = Path.of(args[0]), out = Path.of(args[1]), readme = Path.of(args[2]);
        List<Object> results = asList(Json.parse(Files.readString(json), json.toString()));
        List<Row> rows = rows(results);
        List<String> engines = nativeEnginesIn(rows);
        Files.writeString(out.resolve("results.csv"), csv(rows, engines));
        String table = markdown(rows, engines, machine(results), args[3], args[4]);
        Files.writeString(out.resolve("results.md"), table);
        ImageIO.write(chart(rows, engines), "png", out.resolve("ratios.png").toFile());
        updateReadme(readme, table);
        System.out.println(table);
    }

    static List<Row> rows(List<Object> results) {
        Map<String, Row> byKey = new LinkedHashMap<>();
        for (Object o : results) {
            Map<String, Object> r = asMap(o);
            Map<String, Object> params = asMap(r.get("params"));
            String workload = (String) params.getOrDefault("model", params.get("op"));
            int threads = Integer.parseInt((String) params.get("threads"));
            Map<String, Object> metric = asMap(r.get("primaryMetric"));
            Object median = metric.get("scorePercentiles") instanceof Map<?, ?> p ? p.get("50.0") : null;
            if (!"us/op".equals(metric.get("scoreUnit"))) {
                throw new IllegalArgumentException(workload + ": unit " + metric.get("scoreUnit") + ", expected us/op");
            }
            byKey.computeIfAbsent(workload + "@" + threads, k -> new Row(workload, threads, new TreeMap<>()))
                    .micros().put((String) params.get("engine"), (Double) (median != null ? median : metric.get("score")));
        }
        return List.copyOf(byKey.values());
    }

    private static List<String> nativeEnginesIn(List<Row> rows) {
        return NATIVE.stream().filter(e -> rows.stream().anyMatch(r -> r.micros().containsKey(e))).toList();
    }

    private static String csv(List<Row> rows, List<String> engines) {
        StringBuilder sb = new StringBuilder("workload,threads");
        for (String e : engines) sb.append(',').append(e).append("_us");
        sb.append(",onnxruntime_us");
        for (String e : engines) sb.append(',').append(e).append("_over_ort");
        sb.append('\n');
        for (Row r : rows) {
            sb.append(r.workload()).append(',').append(r.threads());
            for (String e : engines) sb.append(',').append(num(r.micros().get(e), "%.2f"));
            sb.append(',').append(num(r.micros().get(EngineSetup.ONNXRUNTIME), "%.2f"));
            for (String e : engines) sb.append(',').append(num(r.ratio(e), "%.3f"));
            sb.append('\n');
        }
        return sb.toString();
    }

    static String markdown(List<Row> rows, List<String> engines, String machine, String load, String command) {
        StringBuilder sb = new StringBuilder();
        sb.append("Machine: ").append(machine).append(". Date: ").append(LocalDate.now(ZoneOffset.UTC)).append(" (UTC).\n\n");
        sb.append("Command: `").append(command).append("`\n\n");
        sb.append("Load average during the run (1/5/15 min): ").append(load)
                .append(". The machine is shared with other builds and tests, so these figures are noisy.\n\n");
        sb.append("Median µs per inference (JMH SampleTime, the 50th percentile of all measured calls; the mean where a result has no percentiles); ratio < 1 means the native engine is faster; — = not measured or failed.\n\n");
        sb.append("| benchmark | threads |");
        for (String e : engines) sb.append(' ').append(e).append(" µs |");
        sb.append(" onnxruntime µs |");
        for (String e : engines) sb.append(' ').append(e.substring("native-".length())).append("/ORT |");
        sb.append("\n|---|---:|");
        sb.append("---:|".repeat(2 * engines.size() + 1)).append('\n');
        for (Row r : rows) {
            sb.append("| ").append(r.workload()).append(" | ").append(r.threads()).append(" |");
            for (String e : engines) sb.append(' ').append(num(r.micros().get(e), "%.1f")).append(" |");
            sb.append(' ').append(num(r.micros().get(EngineSetup.ONNXRUNTIME), "%.1f")).append(" |");
            for (String e : engines) sb.append(' ').append(num(r.ratio(e), "%.2f")).append(" |");
            sb.append('\n');
        }
        sb.append("\n![ratio native/ONNX Runtime per benchmark](bench/results/ratios.png)\n");
        return sb.toString();
    }

    private static String machine(List<Object> results) {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) { cpu = line.substring(line.indexOf(':') + 1).trim(); break; }
            }
        } catch (IOException e) {
            cpu = "unknown CPU (" + e.getMessage() + ")";
        }
        String jdk = results.isEmpty() ? System.getProperty("java.version")
                : asMap(results.getFirst()).get("jdkVersion") + " (" + asMap(results.getFirst()).get("vmName") + ")";
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores, JDK " + jdk;
    }

    /** Horizontal bars of native/ORT on a log scale from 1/16 to 16, a line at 1. */
    static BufferedImage chart(List<Row> rows, List<String> engines) {
        int barH = 12, groupGap = 8, left = 230, right = 40, top = 50, plotW = 560;
        int groupH = engines.size() * barH + groupGap;
        int height = top + rows.size() * groupH + 50;
        BufferedImage img = new BufferedImage(left + plotW + right, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), height);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.setColor(Color.BLACK);
        g.drawString("Edgerun native engine / ONNX Runtime, median latency ratio (log scale, < 1 = native faster)", 10, 20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        Color[] colors = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c)};
        for (int i = 0; i < engines.size(); i++) {
            g.setColor(colors[i]);
            g.fillRect(left + i * 150, 30, 10, 10);
            g.setColor(Color.BLACK);
            g.drawString(engines.get(i), left + i * 150 + 14, 40);
        }
        double minLog = Math.log(1.0 / 16), maxLog = Math.log(16);
        int plotBottom = top + rows.size() * groupH;
        for (double tick : new double[] {1.0 / 16, 1.0 / 4, 0.5, 1, 2, 4, 16}) {
            int x = left + (int) ((Math.log(tick) - minLog) / (maxLog - minLog) * plotW);
            g.setColor(tick == 1 ? Color.BLACK : new Color(0xdddddd));
            g.setStroke(new BasicStroke(tick == 1 ? 2f : 1f));
            g.drawLine(x, top - 4, x, plotBottom);
            g.setColor(Color.BLACK);
            g.drawString(tick < 1 ? "1/" + Math.round(1 / tick) : String.valueOf(Math.round(tick)), x - 8, plotBottom + 16);
        }
        int xOne = left + (int) ((0 - minLog) / (maxLog - minLog) * plotW);
        for (int r = 0; r < rows.size(); r++) {
            Row row = rows.get(r);
            int y = top + r * groupH;
            g.setColor(Color.BLACK);
            g.drawString(row.workload() + " @" + row.threads() + "t", 10, y + engines.size() * barH / 2 + 4);
            for (int i = 0; i < engines.size(); i++) {
                Double ratio = row.ratio(engines.get(i));
                if (ratio == null) continue;
                double l = Math.max(minLog, Math.min(maxLog, Math.log(ratio)));
                int x = left + (int) ((l - minLog) / (maxLog - minLog) * plotW);
                g.setColor(colors[i]);
                g.fillRect(Math.min(x, xOne), y + i * barH, Math.abs(x - xOne), barH - 2);
                g.setColor(Color.DARK_GRAY);
                g.drawString(String.format(Locale.ROOT, "%.2f", ratio), Math.max(x, xOne) + 3, y + i * barH + barH - 3);
            }
        }
        g.dispose();
        return img;
    }

    /** Replaces the text between the markers; fails, naming the file, when they are missing. */
    static void updateReadme(Path readme, String table) {
        try {
            String text = Files.readString(readme);
            int s = text.indexOf(START), e = text.indexOf(END);
            if (s < 0 || e < s) {
                throw new IllegalStateException(readme + ": markers " + START + " ... " + END + " not found; table left in results.md");
            }
            Files.writeString(readme, text.substring(0, s + START.length()) + "\n" + table + text.substring(e));
        } catch (IOException ex) {
            throw new UncheckedIOException(readme.toString(), ex);
        }
    }

    private static String num(Double v, String format) {
        return v == null || v.isNaN() ? "—" : String.format(Locale.ROOT, format, v);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> asList(Object o) {
        return (List<Object>) o;
    }
}
