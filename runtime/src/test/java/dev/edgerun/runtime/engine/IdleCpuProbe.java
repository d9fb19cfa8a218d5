package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prints the CPU time each thread of this process used in the second after a session's last run
 * and in the second after that: an idle session should use none (its pool's workers and oneDNN's
 * OpenMP workers stop spinning within their bounds). Per-thread times come from
 * {@code /proc/self/task/TID/schedstat} (nanoseconds; Linux only). Not a test, a measurement:
 * {@code java ... dev.edgerun.runtime.engine.IdleCpuProbe MODEL.onnx THREADS RUNS}, with
 * {@code -Dedgerun.kernels=...}, {@code -Dedgerun.spinMicros=...}, {@code -Dedgerun.onednn.spinCount=...}.
 */
public final class IdleCpuProbe {
    private IdleCpuProbe() {}

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        int runs = Integer.parseInt(args[2]);
        SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
        try (Session s = Edgerun.session(Edgerun.load(model), options);
             Tensor x = Tensor.allocate(s.inputs().get(0).dtype(), s.inputs().get(0).shape())) {
            Map<String, Tensor> in = Map.of(s.inputs().get(0).name(), x);
            for (int i = 0; i < runs; i++) s.run(in).close();
            Map<String, Long> afterRuns = cpuByThread();
            Thread.sleep(1000);
            Map<String, Long> oneSecondLater = cpuByThread();
            Thread.sleep(1000);
            Map<String, Long> twoSecondsLater = cpuByThread();
            report("second 1 after the last run", afterRuns, oneSecondLater);
            report("second 2 after the last run", oneSecondLater, twoSecondsLater);
        }
    }

    private static void report(String window, Map<String, Long> before, Map<String, Long> after) {
        long total = 0;
        StringBuilder busy = new StringBuilder();
        for (var e : after.entrySet()) {
            long used = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            total += used;
            if (used >= 100_000) busy.append(String.format(" %s=%.2fms", e.getKey(), used / 1e6));
        }
        System.out.printf("%s: process %.2f ms of CPU; threads over 0.1 ms:%s%n", window, total / 1e6, busy);
    }

    /** "tid:name" to nanoseconds on a CPU, for every thread of this process. */
    private static Map<String, Long> cpuByThread() throws IOException {
        Map<String, Long> cpu = new TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String name = Files.readString(task.resolve("comm")).trim();
                    long nanos = Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
                    cpu.put(task.getFileName() + ":" + name, nanos);
                } catch (IOException ended) {
                    // the thread ended meanwhile
                }
            }
        }
        return cpu;
    }
}
