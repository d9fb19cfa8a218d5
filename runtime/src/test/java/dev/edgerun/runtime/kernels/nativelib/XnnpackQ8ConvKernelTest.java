package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelSelection;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * XNNPACK's 8-bit convolution ({@code qc8}, forced) against the scalar integer convolution and
 * QLinearConv's requantization, on the cases of {@link DnnlQ8ConvKernelTest}: u8 and s8 inputs and
 * outputs (u8 through XNNPACK's s8 with the sign bit flipped), with and without bias and clamp;
 * outputs must be equal.
 */
class XnnpackQ8ConvKernelTest {
    private final XnnpackKernels xnnpack = new XnnpackKernels();
    private String previous;

    @BeforeEach
    void requireLibraryAndForceIt() {
        NativeLibraries.assumeAvailable(xnnpack);
        previous = System.setProperty(KernelSelection.PROPERTY, "xnnpack");
    }

    @AfterEach
    void restoreSelection() {
        OneDnnKernelsTest.restore(KernelSelection.PROPERTY, previous);
    }

    static Stream<Arguments> runs() {
        return DnnlQ8ConvKernelTest.shapes().flatMap(s -> Stream.of(false, true).flatMap(xs -> Stream.of(false, true)
                .flatMap(ys -> Stream.of(false, true).map(extras -> Arguments.of(s, xs, ys, extras, xs == ys ? 1 : 2)))));
    }

    @ParameterizedTest(name = "{0}, x s8={1}, y s8={2}, bias and clamp={3}, {4} threads")
    @MethodSource("runs")
    void matchesScalarReference(DnnlQ8ConvKernelTest.Shape s, boolean xSigned, boolean ySigned, boolean extras, int threads) {
        DnnlQ8ConvKernelTest.verify(xnnpack, s, xSigned, ySigned, extras, extras, "blocked", threads);
    }
}
