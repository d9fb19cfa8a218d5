package dev.edgerun.onnx.conformance;

import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * ONNX's LSTM conformance folders ({@code test_lstm_*}) on the native engine with oneDNN forced
 * ({@code -Dedgerun.kernels=onednn}), 1 and 2 threads: test_lstm_defaults and
 * test_lstm_with_initial_bias run on oneDNN's LSTM primitive (DnnlLstmKernel, W, R and B arriving
 * at run time: gate-ordered and reordered per run), test_lstm_batchwise (layout 1) and
 * test_lstm_with_peepholes (peepholes, sequence_lens given at run time) on the Java LSTM. oneDNN
 * that cannot be loaded skips, or fails when {@code EDGERUN_REQUIRE_NATIVE_KERNELS=1}.
 */
class LstmOneDnnConformanceTest {
    private static final Pattern FOLDERS = Pattern.compile("test_lstm_.*");

    @TestFactory
    Stream<DynamicTest> lstmFolders() {
        return ConformanceSupport.nodeTestsWithOneDnn(FOLDERS);
    }
}
