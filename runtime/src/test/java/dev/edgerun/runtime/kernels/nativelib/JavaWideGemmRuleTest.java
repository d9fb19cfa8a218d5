package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.KernelProvider.GemmSpec;
import dev.edgerun.runtime.kernels.Vectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which GEMMs against constant weights automatic selection leaves to the Java wide tile (512-bit vectors only). */
class JavaWideGemmRuleTest {

    @ParameterizedTest(name = "{0}x{1}x{2} transA {3} -> oneDNN {4}")
    @CsvSource({
        "32, 128, 128, false, false",   // the transformer's proj
        "32, 128, 512, false, false",   // its ff2
        "8, 256, 64, false, false",
        "32, 256, 256, false, false",
        "32, 384, 128, false, true",    // qkv: 384 columns
        "49, 128, 128, false, true",    // more rows
        "32, 128, 1024, false, true",   // deeper than the wide tile
        "32, 128, 128, true, true",     // A transposed: the Java kernels pack it
    })
    void smallProductsTheWideTileReadsInPlaceStayJava(int m, int n, int k, boolean transA, boolean oneDnn) {
        assumeTrue(Vectors.enabled() && Vectors.F32.vectorBitSize() == 512, "the wide tile runs on 512-bit vectors only");
        Tensor b = Tensor.of(new float[k * n], k, n);
        GemmSpec spec = new GemmSpec(DType.FLOAT, m, n, k, transA, false, 1f, false, null, b, null);
        assertEquals(oneDnn, NativeKernelRules.oneDnnGemm(spec));
    }

    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"32, 128, 128", "32, 128, 512"})
    void productsWhoseWeightsArriveAtRunTimeStayWithOneDnn(int m, int n, int k) {
        assertEquals(true, NativeKernelRules.oneDnnGemm(GemmSpec.f32(m, n, k)));
    }
}
