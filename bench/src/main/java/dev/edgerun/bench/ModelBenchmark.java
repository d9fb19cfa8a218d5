package dev.edgerun.bench;

import dev.edgerun.onnx.TestCaseFolder;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Whole models from {@code $EDGERUN_SHARED/models/NAME/model.onnx}, fed the inputs of the model's
 * {@code test_data_set_0}: one inference per call, native engine (per kernel provider) and ONNX
 * Runtime as values of {@link #engine}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ModelBenchmark {

    @Param({"mlp_tiny", "kws_dscnn", "kws_lstm", "tiny_transformer", "mobilenet_v2", "resnet18", "conv_autoencoder"})
    public String model;

    @Param({"native-java", "native-onednn", "onnxruntime"})
    public String engine;

    @Param({"1", "2"})
    public int threads;

    private Model loaded;
    private Session session;
    private TestCaseFolder.DataSet data;
    private Map<String, Tensor> inputs;

    @Setup(Level.Trial)
    public void open() {
        Path dir = EngineSetup.sharedDir().resolve("models").resolve(model);
        loaded = Edgerun.load(dir.resolve("model.onnx"));
        session = EngineSetup.open(loaded, engine, threads);
        System.out.println("# session: " + session.description());
        data = TestCaseFolder.open(dir).readDataSets(loaded).getFirst();
        inputs = data.inputTensors();
    }

    /** The result of the latest call, closed after it outside the timing. */
    private RunResult result;

    /**
     * One {@link Session#run(Map)} until its result is returned, for every engine alike (as
     * {@code edgerun bench} times it). Closing the result is left out: the ONNX Runtime adapter
     * frees a shared arena per result (about 18 us on mlp_tiny, more than ONNX Runtime's own run),
     * which inflated the ONNX Runtime column when the close was timed.
     */
    @Benchmark
    public void run(Blackhole bh) {
        result = session.run(inputs);
        bh.consume(result.get(0));
    }

    @TearDown(Level.Invocation)
    public void closeResult() {
        if (result != null) result.close();
        result = null;
    }

    @TearDown(Level.Trial)
    public void close() {
        if (data != null) data.close();
        if (session != null) session.close();
        if (loaded != null) loaded.close();
    }
}
