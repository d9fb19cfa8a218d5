package dev.edgerun.bench;

import dev.edgerun.runtime.kernels.JavaKernels;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.nativelib.OneDnnKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
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

/**
 * Single-threaded SGEMM 512x512x512 at kernel level, no session around it: Edgerun's packed Java
 * SGEMM (Vector API), oneDNN's through FFM, and OpenBLAS's {@code cblas_sgemm} through FFM as the
 * yardstick issue 4 names (Java SGEMM at least 0.8x of OpenBLAS). Debian's OpenBLAS 0.3.21 does
 * not recognise recent Xeons and falls back to a generic kernel unless the environment says
 * {@code OPENBLAS_CORETYPE=SkylakeX}; the core it picked is printed at set-up, so a result always
 * says which OpenBLAS kernel it measured. Needs {@code libopenblas0-pthread} (or any
 * {@code libopenblas.so.0}); without it the openblas rows fail at set-up with that message.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SgemmBenchmark {
    private static final int N = 512;
    private static final int CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111;

    @Param({"java", "onednn", "openblas"})
    public String kernel;

    private Arena arena;
    private MemorySegment a, b, c, scratch;
    private KernelProvider.GemmKernel gemm;
    private MethodHandle cblasSgemm;

    @Setup(Level.Trial)
    public void open() throws Throwable {
        arena = Arena.ofShared();
        a = randomMatrix(arena, 1);
        b = randomMatrix(arena, 2);
        c = arena.allocate(4L * N * N, 64);
        KernelProvider.GemmSpec spec = KernelProvider.GemmSpec.f32(N, N, N);
        switch (kernel) {
            case "java" -> gemm = JavaKernels.vector().gemm(spec).orElseThrow();
            case "onednn" -> gemm = new OneDnnKernels().gemm(spec)
                    .orElseThrow(() -> new IllegalStateException("oneDNN cannot run here: " + new OneDnnKernels().availability()));
            case "openblas" -> cblasSgemm = openBlas();
            default -> throw new IllegalArgumentException("kernel " + kernel);
        }
        if (gemm != null) scratch = arena.allocate(Math.max(64, gemm.scratchBytes()), 64);
    }

    @Benchmark
    public MemorySegment sgemm() throws Throwable {
        if (gemm != null) {
            gemm.run(a, 0, b, 0, c, 0, scratch, Parallel.SERIAL);
        } else {
            cblasSgemm.invokeExact(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, N, N, N, 1f,
                    a, N, b, N, 0f, c, N);
        }
        return c;
    }

    @TearDown(Level.Trial)
    public void close() {
        arena.close();
    }

    /** {@code cblas_sgemm} from libopenblas.so.0, limited to one thread. */
    private MethodHandle openBlas() throws Throwable {
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup("libopenblas.so.0", Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("libopenblas.so.0 not found (apt-get install libopenblas0-pthread)", e);
        }
        Linker linker = Linker.nativeLinker();
        linker.downcallHandle(lib.find("openblas_set_num_threads").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT)).invokeExact(1);
        MemorySegment core = (MemorySegment) linker.downcallHandle(lib.find("openblas_get_corename").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact();
        System.out.println("# OpenBLAS core: " + core.reinterpret(64).getString(0)
                + " (OPENBLAS_CORETYPE=" + System.getenv("OPENBLAS_CORETYPE") + ")");
        var I = ValueLayout.JAVA_INT;
        var F = ValueLayout.JAVA_FLOAT;
        var P = ValueLayout.ADDRESS;
        return linker.downcallHandle(lib.find("cblas_sgemm").orElseThrow(),
                FunctionDescriptor.ofVoid(I, I, I, I, I, I, F, P, I, P, I, F, P, I));
    }

    private static MemorySegment randomMatrix(Arena arena, long seed) {
        MemorySegment m = arena.allocate(4L * N * N, 64);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < (long) N * N; i++) m.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextDouble(-1, 1));
        return m;
    }
}
