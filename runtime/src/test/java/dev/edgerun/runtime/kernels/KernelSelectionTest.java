package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class KernelSelectionTest {

    @Test
    void forcingScalarLeavesOnlyTheScalarProvider() {
        List<KernelProvider> providers = KernelSelection.discover("scalar");
        assertEquals(List.of("scalar"), providers.stream().map(KernelProvider::name).toList());
    }

    @Test
    void javaVectorComesBeforeTheScalarLastResort() {
        // native providers found by ServiceLoader (oneDNN, ...) may come first when their library is installed
        List<String> names = KernelSelection.discover("").stream().map(KernelProvider::name).toList();
        assertEquals("scalar", names.getLast());
        if (Vectors.enabled()) assertEquals(names.size() - 2, names.indexOf("java"), names.toString());
    }

    @Test
    void aProviderThatDeclinesIsSkippedAndTheNextAnswers() {
        AtomicInteger asked = new AtomicInteger();
        KernelProvider declining = new KernelProvider() {
            @Override public String name() { return "declining"; }
            @Override public Availability availability() { return Availability.YES; }
            @Override public Optional<GemmKernel> gemm(GemmSpec spec) {
                asked.incrementAndGet();
                return Optional.empty();
            }
        };
        KernelSelection selection = new KernelSelection(List.of(declining, JavaKernels.scalar()));
        var kernel = selection.gemm(KernelProvider.GemmSpec.f32(3, 4, 5)).orElseThrow();
        assertEquals(1, asked.get());
        assertInstanceOf(F32GemmKernel.class, kernel);
        assertTrue(selection.conv(new KernelProvider.ConvSpec(DType.INT8, new long[] {1, 1, 3, 3}, new long[] {1, 1, 1, 1},
                new long[] {1, 1, 3, 3}, 1, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, null, null)).isEmpty(),
                "no provider supports int8 convolution yet");
    }

    @Test
    void depthwiseSpecsGetTheDirectKernel() {
        var spec = new KernelProvider.ConvSpec(DType.FLOAT, new long[] {1, 8, 5, 5}, new long[] {8, 1, 3, 3},
                new long[] {1, 8, 5, 5}, 8, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, null, null);
        assertInstanceOf(F32DepthwiseConv.class, JavaKernels.scalar().conv(spec).orElseThrow());
        assertSame(KernelSelection.defaults(), KernelSelection.defaults());
    }
}
