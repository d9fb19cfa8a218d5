package dev.edgerun.bench;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.util.Map;
import java.util.SplittableRandom;
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
 * Single-node models built in code, the shapes of issue 4's table: the weights are initializers
 * (so engines may pre-pack them), the activation is the one input.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBenchmark {

    /** gemm_512: MatMul 512x512 by 512x512; fc_64x128: Gemm 1x64 to 128 with bias; conv3x3_64: 64 to 64 channels at 56x56; dwconv3x3_576: depthwise 576 channels at 14x14. */
    @Param({"gemm_512", "fc_64x128", "conv3x3_64", "dwconv3x3_576"})
    public String op;

    @Param({"native-java", "native-onednn", "onnxruntime"})
    public String engine;

    @Param({"1", "2"})
    public int threads;

    private Model model;
    private Session session;
    private Tensor input;
    private Map<String, Tensor> inputs;

    @Setup(Level.Trial)
    public void open() {
        SplittableRandom random = new SplittableRandom(42);
        model = Model.builder().graph(graph(op, random)).opset(17).build();
        session = EngineSetup.open(model, engine, threads);
        System.out.println("# session: " + session.description());
        Value x = model.graph().inputs().getFirst();
        input = randomTensor(random, x.shape().dims());
        inputs = Map.of(x.name(), input);
    }

    @Benchmark
    public void run(Blackhole bh) {
        try (RunResult r = session.run(inputs)) {
            bh.consume(r.get(0));
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        if (session != null) session.close();
        if (model != null) model.close();
        if (input != null) input.close();
    }

    static Graph graph(String op, SplittableRandom random) {
        return switch (op) {
            case "gemm_512" -> Graph.builder(op)
                    .input(Value.tensor("x", DType.FLOAT, 512, 512))
                    .output(Value.tensor("y", DType.FLOAT, 512, 512))
                    .initializer("w", randomTensor(random, 512, 512))
                    .node(Node.builder("MatMul").name("matmul").inputs("x", "w").outputs("y").build())
                    .build();
            case "fc_64x128" -> Graph.builder(op)
                    .input(Value.tensor("x", DType.FLOAT, 1, 64))
                    .output(Value.tensor("y", DType.FLOAT, 1, 128))
                    .initializer("w", randomTensor(random, 128, 64))
                    .initializer("b", randomTensor(random, 128))
                    .node(Node.builder("Gemm").name("fc").inputs("x", "w", "b").outputs("y").attribute("transB", 1L).build())
                    .build();
            case "conv3x3_64" -> conv(op, random, 64, 56, 1);
            case "dwconv3x3_576" -> conv(op, random, 576, 14, 576);
            default -> throw new IllegalArgumentException("op parameter '" + op
                    + "': expected gemm_512, fc_64x128, conv3x3_64 or dwconv3x3_576");
        };
    }

    /** A 3x3 convolution, stride 1, padding 1, channels in = out, with bias. */
    private static Graph conv(String name, SplittableRandom random, int channels, int size, int group) {
        return Graph.builder(name)
                .input(Value.tensor("x", DType.FLOAT, 1, channels, size, size))
                .output(Value.tensor("y", DType.FLOAT, 1, channels, size, size))
                .initializer("w", randomTensor(random, channels, channels / group, 3, 3))
                .initializer("b", randomTensor(random, channels))
                .node(Node.builder("Conv").name("conv").inputs("x", "w", "b").outputs("y")
                        .attribute("kernel_shape", new long[] {3, 3})
                        .attribute("pads", new long[] {1, 1, 1, 1})
                        .attribute("group", (long) group)
                        .build())
                .build();
    }

    private static Tensor randomTensor(SplittableRandom random, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        float[] values = new float[Math.toIntExact(n)];
        for (int i = 0; i < values.length; i++) values[i] = (float) (random.nextDouble() * 2 - 1);
        return Tensor.of(values, dims);
    }
}
