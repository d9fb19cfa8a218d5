package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.kernels.KernelProvider.GemmSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which float GEMMs automatic selection gives oneDNN: all but one small Java row tile. */
class OneDnnGemmRuleTest {

    @ParameterizedTest(name = "{0}x{1}x{2} -> oneDNN {3}")
    @CsvSource({
        "2, 16, 16, false",
        "4, 64, 64, false",
        "6, 128, 64, false",   // 98 kFLOP, depth 64: the largest measured Java win
        "6, 512, 64, true",    // over the FLOP bound
        "2, 128, 128, true",   // depth 128
        "7, 64, 64, true",     // more rows than a Java tile
        "49, 256, 40, true",
        "32, 128, 512, true",
    })
    void smallProductsOfOneJavaTileStayJava(int m, int n, int k, boolean oneDnn) {
        assertEquals(oneDnn, NativeKernelRules.oneDnnGemm(GemmSpec.f32(m, n, k)));
    }
}
