package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import org.junit.jupiter.api.Test;

/** On x86-64, automatic selection leaves to the Java kernels the GEMMs oneDNN's rule leaves to them, XNNPACK too. */
class XnnpackAutoGemmTest {

    @Test
    void aOneTileGemmIsLeftToTheJavaKernelsOnX86() {
        assumeTrue(NativeKernelRules.isX86(), "the rule applies on x86-64 only");
        assumeTrue(System.getProperty(KernelSelection.PROPERTY, "").isBlank(), "automatic selection only");
        try (Tensor b = Tensor.allocate(DType.FLOAT, 10, 16)) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, 3, 10, 16, false, true, 1f, false, null, b, null);
            assertTrue(!NativeKernelRules.oneDnnGemm(spec), "oneDNN's rule leaves 3x10x16 to the Java kernels");
            assertTrue(new XnnpackKernels().gemm(spec).isEmpty(), "XNNPACK leaves it to them too");
        }
    }
}
