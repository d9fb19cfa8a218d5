package dev.edgerun.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import dev.edgerun.onnx.TensorProtos;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * Every model of {@code $EDGERUN_SHARED/models} on CUDA gives the CPU provider's outputs. Tagged
 * {@code gpu}: the default build skips it; {@code devices/gpu-check.sh} runs it against
 * {@code onnxruntime_gpu} ({@code -Pcuda}) on a machine with an NVIDIA GPU. It fails (does not skip)
 * when CUDA cannot start, since that is what it checks. TF32 is off so that the comparison is
 * float32 against float32; cuDNN's convolution algorithms still sum in other orders, hence rtol 1e-3.
 */
@Tag("gpu")
class CudaMatchesCpuGpuTest {
    private static final double RTOL = 1e-3;
    private static final double ATOL = 1e-4;

    @TestFactory
    Stream<DynamicTest> everyModelOnCudaMatchesTheCpu() {
        assertTrue(OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA),
                "this ONNX Runtime build has no CUDA provider (" + OrtEnvironment.getAvailableProviders()
                        + "); build with -Pcuda, as devices/gpu-check.sh does");
        List<Path> folders = SharedData.modelFolders(SharedData.folder("models"));
        assertFalse(folders.isEmpty(), "no models in the shared models folder");
        return folders.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
    }

    private static void check(Path folder) {
        SessionOptions cpu = SessionOptions.builder().engine("onnxruntime").devices("cpu").build();
        SessionOptions cuda = SessionOptions.builder().engine("onnxruntime").devices("cuda")
                .providerOption("cuda.use_tf32", "0").build();
        try (Model model = Edgerun.load(folder.resolve("model.onnx"));
             Session onCpu = Edgerun.session(model, cpu);
             Session onCuda = Edgerun.session(model, cuda)) {
            assertTrue(onCuda.description().contains(" on cuda,"), onCuda.description());
            for (Path set : SharedData.dataSets(folder)) compare(onCpu, onCuda, set);
        }
    }

    private static void compare(Session onCpu, Session onCuda, Path set) {
        Map<String, Tensor> feed = new LinkedHashMap<>();
        List<Path> inputFiles = SharedData.valueFiles(set, "input");
        try {
            for (int i = 0; i < inputFiles.size(); i++) {
                feed.put(onCpu.inputs().get(i).name(), TensorProtos.read(inputFiles.get(i)));
            }
            onCuda.run(feed).close(); // the first CUDA run also picks cuDNN algorithms
            long t0 = System.nanoTime();
            try (RunResult expected = onCpu.run(feed)) {
                long t1 = System.nanoTime();
                try (RunResult actual = onCuda.run(feed)) {
                    long t2 = System.nanoTime();
                    System.out.printf("%s: cpu %.3f ms, cuda %.3f ms%n", set, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
                    assertEquals(expected.size(), actual.size());
                    for (int i = 0; i < expected.size(); i++) {
                        assertNull(Closeness.mismatch(expected.get(i), actual.get(i), RTOL, ATOL),
                                set + " output " + expected.names().get(i));
                    }
                }
            }
        } finally {
            feed.values().forEach(Tensor::close);
        }
    }
}
