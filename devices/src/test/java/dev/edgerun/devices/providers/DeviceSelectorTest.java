package dev.edgerun.devices.providers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.edgerun.runtime.EngineUnavailableException;
import dev.edgerun.runtime.SessionOptions;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Device preference lists against a CPU-only provider set, with real ONNX Runtime session options. */
class DeviceSelectorTest {
    private static final Set<OrtProvider> CPU_BUILD = EnumSet.of(OrtProvider.CPU);

    private static DeviceChoice choose(SessionOptions options, Set<OrtProvider> compiledIn) throws Exception {
        OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            return DeviceSelector.append(options, so, 2, compiledIn, "onnxruntime");
        }
    }

    @Test
    void oneUnavailableDeviceFailsWithWhatToInstall() {
        var e = assertThrows(EngineUnavailableException.class,
                () -> choose(SessionOptions.builder().engine("onnxruntime").devices("cuda").build(), CPU_BUILD));
        String m = e.getMessage();
        for (String part : List.of("device 'cuda' is unavailable", "onnxruntime_gpu", "-Pcuda", "CUDA 12", "cuDNN 9")) {
            assertTrue(m.contains(part), "missing '" + part + "' in: " + m);
        }
        assertTrue(!m.contains("\n"), "one line");
    }

    @Test
    void nnapiSaysItIsAndroidOnly() {
        var e = assertThrows(EngineUnavailableException.class,
                () -> choose(SessionOptions.builder().devices("nnapi").build(), CPU_BUILD));
        assertTrue(e.getMessage().contains("only in ONNX Runtime's Android build"), e.getMessage());
    }

    @Test
    void listFallsBackToTheNextDeviceAndSaysWhy() throws Exception {
        DeviceChoice c = choose(SessionOptions.builder().devices("cuda", "cpu").build(), CPU_BUILD);
        assertEquals(ExecutionProvider.CPU, c.provider());
        assertEquals(1, c.skipped().size());
        assertTrue(c.skipped().getFirst().startsWith("cuda: CUDAExecutionProvider is not available in this build of ONNX Runtime"),
                c.skipped().getFirst());
        assertEquals("cpu (fallback: cuda unavailable)", c.summary());
    }

    @Test
    void providerThatFailsToStartIsSkippedUnderFallback() throws Exception {
        // Pretend the build lists CUDA: appending it to the CPU-only library fails, which must count as unavailable.
        DeviceChoice c = choose(SessionOptions.builder().devices("cuda", "cpu").build(),
                EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA));
        assertEquals(ExecutionProvider.CPU, c.provider());
        assertTrue(c.skipped().getFirst().startsWith("cuda: CUDAExecutionProvider did not start"), c.skipped().getFirst());
    }

    @Test
    void noDeviceMeansCpu() throws Exception {
        assertEquals(new DeviceChoice(ExecutionProvider.CPU, List.of()), choose(SessionOptions.defaults(), CPU_BUILD));
    }

    @Test
    void unknownDeviceListsTheKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> choose(SessionOptions.builder().devices("tpu").build(), CPU_BUILD));
        assertTrue(e.getMessage().contains("expected one of [cpu, cuda, tensorrt"), e.getMessage());
    }

    @Test
    void unknownProviderOptionListsTheKnownKeys() {
        var e = assertThrows(IllegalArgumentException.class, () -> choose(SessionOptions.builder().devices("cpu")
                .providerOption("cuda.memory", "1").build(), CPU_BUILD));
        assertTrue(e.getMessage().contains("cuda.gpu_mem_limit"), e.getMessage());
    }

    @Test
    void everyCataloguedProviderHasAReasonWhenUnavailable() {
        List<ProviderStatus> all = ProviderStatus.all(CPU_BUILD, "onnxruntime");
        assertEquals(14, all.size());
        for (ProviderStatus s : all) {
            assertEquals(s.provider() == ExecutionProvider.CPU, s.available(), s.toString());
            assertTrue(!s.reason().isBlank(), s.toString());
        }
    }

    @Test
    void xnnpackGetsTheSessionThreadsUnlessGiven() {
        assertEquals(Set.of("intra_op_num_threads"), ExecutionProvider.XNNPACK.optionKeys());
        assertTrue(ExecutionProvider.isProviderOption("xnnpack.intra_op_num_threads"));
        assertTrue(!ExecutionProvider.isProviderOption("session.intra_op.allow_spinning"));
    }
}
