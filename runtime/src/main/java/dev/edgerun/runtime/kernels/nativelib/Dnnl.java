package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.MachineLoad;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hand-written FFM bindings for the subset of the oneDNN 2.x C API ({@code dnnl.h}) that the
 * native engine uses: engine and stream, memory descriptors and memory over caller-owned
 * buffers, convolution, matmul and reorder primitives, attributes (scratchpad, output scales,
 * post-ops). The library is opened once per process ({@link #get()}); when it is absent, has the
 * wrong major version or lacks a symbol, {@link #failure()} says why and nothing else is usable.
 * Symbols are looked up when it is opened, downcall handles created on first use ({@link Downcall}).
 *
 * <p>Opaque handles ({@code dnnl_engine_t}, {@code dnnl_memory_t}, ...) are passed as
 * {@code long} addresses: they are pointers in integer registers on x86-64 and AArch64 alike,
 * and a {@code long} avoids wrapping a segment per call. Version 3 removed the op-descriptor
 * functions used here, hence the major-version check.
 */
final class Dnnl {
    static final int F32 = 3, S8 = 5, U8 = 6, S32 = 4;
    static final int TAG_ANY = 1;
    static final int TAG_NCHW16C = 69; // dnnl_aBcd16b of 2.x: 4-D activations in blocks of 16 channels
    static final int FORWARD_INFERENCE = 96, CONVOLUTION_DIRECT = 1;
    static final int ELTWISE_RELU = 31, ELTWISE_CLIP = 255;
    static final int ELTWISE_ROUND = 0x40; // round half to even (8-bit requantization)
    static final int ELTWISE_LOGISTIC = 0xaf, ELTWISE_HARDSWISH = 0x70; // dnnl_alg_kind_t of 2.x
    static final int ELTWISE_GELU_TANH = 0xcf;
    static final int ARG_SRC = 1, ARG_DST = 17, ARG_WEIGHTS = 33, ARG_BIAS = 41, ARG_SCRATCHPAD = 80;
    static final int ARG_FROM = ARG_SRC, ARG_TO = ARG_DST;
    static final int QUERY_IMPL_INFO_STR = 8, QUERY_SRC_MD = 129, QUERY_WEIGHTS_MD = 131, QUERY_DST_MD = 133,
            QUERY_SCRATCHPAD_MD = 136;
    /** Bytes of {@code dnnl_memory_desc_t}, {@code dnnl_convolution_desc_t}, {@code dnnl_matmul_desc_t} in 2.x. */
    static final long MD_BYTES = 696, CONV_DESC_BYTES = 5976, MATMUL_DESC_BYTES = 2800;
    static final int MAX_DIMS = 12;
    /** First plain tags by rank: a, ab, abc, abcd, (abcde = 7), abcdef = 8. */
    private static final int[] PLAIN_TAG = {0, 2, 3, 4, 5, 7, 8};

    private static final ValueLayout.OfLong H = ValueLayout.JAVA_LONG; // an opaque handle or raw address
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final java.lang.foreign.AddressLayout P = ValueLayout.ADDRESS;
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);

    private static final class Holder {
        static final Dnnl INSTANCE = new Dnnl();
    }

    private final String failure;
    private final String version;
    private final long engine;
    private final NativeLibrary library;   // null when oneDNN cannot be used
    // bound on first use, integers and pointers as words: call as (int) f.call(...) (see Downcall)
    private Downcall engineCreate, streamCreate, streamDestroy, mdByTag, mdByStrides, mdEqual, mdSize,
            memoryCreate, memorySetHandle, memoryDestroy, convDescInit, matmulDescInit, pdCreate, pdQuery, pdQueryMd,
            pdDestroy, primitiveCreate, primitiveExecute, primitiveDestroy, reorderPdCreate, attrCreate, attrDestroy,
            attrScratchpadMode, attrOutputScales, attrPostOps, postOpsCreate, postOpsDestroy, postOpsSum,
            postOpsEltwise, versionFn;
    private Downcall ompSetThreads, ompMaxThreads; // null when oneDNN is not built on OpenMP
    private Downcall attrZeroPoints; // 8-bit convolution: dnnl_primitive_attr_set_zero_points
    private Downcall resamplingDescInit; // appended by the CNN-speed task: dnnl_resampling_forward_desc_init

    /** The process-wide bindings, opened on first use. */
    static Dnnl get() {
        return Holder.INSTANCE;
    }

    private Dnnl() {
        String fail = null, ver = "none";
        long eng = 0;
        NativeLibrary opened = null;
        try {
            preferPassiveOpenMpThreads();
            StringBuilder why = new StringBuilder();
            var lib = NativeLibrary.open(candidates("edgerun.onednn.library", "libdnnl.so.2", "libdnnl.so"), why);
            if (lib.isEmpty()) {
                fail = "oneDNN not found (" + why + ")";
            } else {
                opened = lib.get();
                bind(opened);
                if (!lib.get().missing().isEmpty()) {
                    fail = lib.get().name() + " lacks " + lib.get().missing();
                } else {
                    MemorySegment v = MemorySegment.ofAddress(versionFn.call()).reinterpret(32);
                    int major = v.get(I, 0), minor = v.get(I, 4), patch = v.get(I, 8), runtime = v.get(I, 24);
                    ver = major + "." + minor + "." + patch;
                    if (major != 2) {
                        fail = lib.get().name() + " is oneDNN " + ver + "; these bindings need the 2.x C API";
                    } else {
                        if (runtime == 2) bindOpenMp();
                        eng = createEngine();
                    }
                }
            }
        } catch (Throwable t) {
            fail = "oneDNN failed to start: " + t;
        }
        failure = fail;
        version = ver;
        engine = eng;
        library = fail == null ? opened : null;
    }

    /**
     * Creates every downcall handle now (oneDNN's and OpenMP's), for the thread that preloads the
     * library while a session's graph is optimised: the planning thread then finds them made. A
     * session that opens oneDNN uses most of its functions; binding them where planning first calls
     * each cost MobileNetV2's compile about 8% of its main-thread time. Nothing when unusable.
     */
    void linkAll() {
        if (library == null) return;
        library.linkAll();
        if (ompSetThreads != null) ompSetThreads.link();
        if (ompMaxThreads != null) ompMaxThreads.link();
    }

    /**
     * Sets {@code OMP_WAIT_POLICY=PASSIVE} in the process environment, unless it is set already
     * or {@code -Dedgerun.onednn.ompWaitPolicy=keep}, before libgomp is loaded (it reads the
     * variable once, when loaded). With libgomp's default of spinning, idle OpenMP workers burn
     * the cores the JVM's and other threads need: on the loaded 2-vCPU build machine MobileNetV2
     * at 2 threads took a median of 500 ms with the default, 1.5 s with ACTIVE and 32 ms with
     * PASSIVE (the Java kernels: 34 ms).
     *
     * <p>With the policy PASSIVE (ours or the launcher's) and no {@code GOMP_SPINCOUNT} of the user,
     * it also sets {@code GOMP_SPINCOUNT} ({@link #openMpSpinCount}), which libgomp honours over the
     * policy: a worker that finished a parallel region spins that many times for the next one
     * before it sleeps, so the primitives of one run hand over without a wake-up, and an idle
     * session stops spinning shortly after its last run. libgomp spins only while its threads do
     * not outnumber the process's CPUs (its "throttled" count, 0 under PASSIVE, applies otherwise).
     */
    private static void preferPassiveOpenMpThreads() {
        if (System.getProperty("edgerun.onednn.ompWaitPolicy", "passive").trim().equals("keep")) return;
        String policy = System.getenv("OMP_WAIT_POLICY");
        if (policy == null) {
            setEnv("OMP_WAIT_POLICY", "PASSIVE");
        } else if (!policy.trim().equalsIgnoreCase("passive")) {
            return; // the user's choice, spin count included
        }
        long spins = openMpSpinCount();
        if (spins > 0 && System.getenv("GOMP_SPINCOUNT") == null) setEnv("GOMP_SPINCOUNT", Long.toString(spins));
    }

    /**
     * Spins of a waiting libgomp worker before it sleeps: {@code -Dedgerun.onednn.spinCount=N}, or
     * by default ({@code auto}) {@value #OPENMP_SPIN_COUNT} while the machine is not busy, else 0.
     * One spin is a relaxed load and a {@code pause}: 35-42 ns on the AMD EPYC build machine, so
     * the default spins for about 0.4 ms, longer than the gaps between the primitives of a run.
     *
     * <p>Why not when busy: the count is read once, when libgomp is loaded, and a spin only pays
     * while each thread has a core of its own. When the cores are oversubscribed the team's thread
     * that waits at a barrier spins for the whole count while the thread it waits for is not even
     * scheduled. bench --compare, mobilenet_v2, auto, 2 threads, load 13-15, three alternated rounds:
     * ratios native/ORT 0.95, 0.94, 0.87 with no spin; 0.94, 0.82, 1.34 at 1250; 1.00, 0.70, 0.69 at
     * 5000; 1.40, 1.91, 2.06 at 25000; 6.5, 6.0, 1.6 at 100000 (native medians up to 151 ms against
     * 8-18 ms). An earlier measurement at load 8-14 had 7.9-8.6 ms with no spin against 14.7 and
     * 23.0 ms at 2000 and 69-70 ms at 6000. Busy: {@link MachineLoad#busy}.
     */
    static long openMpSpinCount() {
        String setting = System.getProperty("edgerun.onednn.spinCount", "auto").trim();
        if (!setting.equals("auto")) {
            try {
                return Math.max(0, Long.parseLong(setting));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-Dedgerun.onednn.spinCount must be auto or a number of spins, not '" + setting + "'");
            }
        }
        return MachineLoad.busy() ? 0 : OPENMP_SPIN_COUNT;
    }

    /** The default spin count of {@link #openMpSpinCount} (about 0.4 ms here). */
    static final long OPENMP_SPIN_COUNT = 10_000;

    /**
     * {@code setenv(name, value, 1)}; the environment stays as it was when that fails (only speed is
     * at stake). A word downcall ({@link Downcall}): the shape oneDNN's functions are linked with
     * right after, where a handle of its own C signature linked one more shape (a stub class and its
     * lambda forms) on the thread that opens oneDNN, which the first compile waits for.
     *
     * <p>{@code setenv} is looked up in {@code libc.so.6} where that opens (glibc), else in the
     * linker's default lookup, which loads a library of its own: in a fresh JVM with the start-up
     * archive the lookup and the opening of oneDNN after it took 2.9-3.4 ms of CPU that way against
     * 5.2-7.6 ms (6 alternated JVMs each, load ~9).
     */
    static void setEnv(String name, String value) {
        try (Arena a = Arena.ofConfined()) {
            var setenv = libc().find("setenv");
            if (setenv.isEmpty()) return;
            Downcall.words("libc", "setenv", setenv.get(), "www")
                    .call(a.allocateFrom(name).address(), a.allocateFrom(value).address(), 1);
        } catch (Throwable t) {
            // as documented above
        }
    }

    /** The C library's symbols: glibc's {@code libc.so.6}, else the linker's default lookup. */
    private static SymbolLookup libc() {
        try {
            return SymbolLookup.libraryLookup("libc.so.6", Arena.global());
        } catch (IllegalArgumentException e) {
            return Linker.nativeLinker().defaultLookup(); // not glibc
        }
    }

    /** The library file to open: only the one the system property names, when set; else {@code names} in order. */
    static List<String> candidates(String property, String... names) {
        String override = System.getProperty(property, "").trim();
        return override.isEmpty() ? List.of(names) : List.of(override);
    }

    /** Every function as a word downcall: {@code w} for each int, handle or pointer argument of its dnnl.h prototype. */
    private void bind(NativeLibrary lib) {
        versionFn = lib.words("dnnl_version", "");
        engineCreate = lib.words("dnnl_engine_create", "www");
        streamCreate = lib.words("dnnl_stream_create", "www");
        streamDestroy = lib.words("dnnl_stream_destroy", "w");
        mdByTag = lib.words("dnnl_memory_desc_init_by_tag", "wwwww");
        mdByStrides = lib.words("dnnl_memory_desc_init_by_strides", "wwwww");
        mdEqual = lib.words("dnnl_memory_desc_equal", "ww");
        mdSize = lib.words("dnnl_memory_desc_get_size", "w");
        memoryCreate = lib.words("dnnl_memory_create", "wwww");
        memorySetHandle = lib.words("dnnl_memory_set_data_handle", "ww", CRITICAL);
        memoryDestroy = lib.words("dnnl_memory_destroy", "w");
        convDescInit = lib.words("dnnl_dilated_convolution_forward_desc_init", "wwwwwwwwwww");
        matmulDescInit = lib.words("dnnl_matmul_desc_init", "wwwww");
        pdCreate = lib.words("dnnl_primitive_desc_create", "wwwww");
        pdQuery = lib.words("dnnl_primitive_desc_query", "wwww");
        pdQueryMd = lib.words("dnnl_primitive_desc_query_md", "www");
        pdDestroy = lib.words("dnnl_primitive_desc_destroy", "w");
        primitiveCreate = lib.words("dnnl_primitive_create", "ww");
        primitiveExecute = lib.words("dnnl_primitive_execute", "wwww");
        primitiveDestroy = lib.words("dnnl_primitive_destroy", "w");
        reorderPdCreate = lib.words("dnnl_reorder_primitive_desc_create", "wwwwww");
        attrCreate = lib.words("dnnl_primitive_attr_create", "w");
        attrDestroy = lib.words("dnnl_primitive_attr_destroy", "w");
        attrScratchpadMode = lib.words("dnnl_primitive_attr_set_scratchpad_mode", "ww");
        attrOutputScales = lib.words("dnnl_primitive_attr_set_output_scales", "wwww");
        attrZeroPoints = lib.words("dnnl_primitive_attr_set_zero_points", "wwwww");
        attrPostOps = lib.words("dnnl_primitive_attr_set_post_ops", "ww");
        postOpsCreate = lib.words("dnnl_post_ops_create", "w");
        postOpsDestroy = lib.words("dnnl_post_ops_destroy", "w");
        postOpsSum = lib.words("dnnl_post_ops_append_sum", "wf");
        postOpsEltwise = lib.words("dnnl_post_ops_append_eltwise", "wfwff");
        resamplingDescInit = lib.words("dnnl_resampling_forward_desc_init", "wwwwww");
    }

    private void bindOpenMp() {
        StringBuilder why = new StringBuilder();
        var omp = NativeLibrary.open(List.of("libgomp.so.1", "libomp.so.5", "libiomp5.so"), why);
        if (omp.isEmpty()) return;
        Downcall set = omp.get().words("omp_set_num_threads", "w", CRITICAL);
        Downcall max = omp.get().words("omp_get_max_threads", "", CRITICAL);
        ompSetThreads = set.present() ? set : null;
        ompMaxThreads = max.present() ? max : null;
    }

    private long createEngine() throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(H);
            check((int) engineCreate.call(out.address(), 1, 0L), "dnnl_engine_create(cpu)");
            return out.get(H, 0);
        }
    }

    /** Why oneDNN cannot be used here, or null when it can. */
    String failure() {
        return failure;
    }

    String version() {
        return version;
    }

    long engine() {
        return engine;
    }

    /** Whether {@link #setThreads} controls the library's threads (oneDNN on OpenMP). */
    boolean threadsControllable() {
        return ompSetThreads != null;
    }

    /** Sets the OpenMP threads of parallel regions started from the calling thread. */
    void setThreads(int threads) {
        if (ompSetThreads == null) return;
        try {
            ompSetThreads.call(threads);
        } catch (Throwable t) {
            throw rethrow(t, "omp_set_num_threads");
        }
    }

    int maxThreads() {
        if (ompMaxThreads == null) return Runtime.getRuntime().availableProcessors();
        try {
            return (int) ompMaxThreads.call();
        } catch (Throwable t) {
            throw rethrow(t, "omp_get_max_threads");
        }
    }

    // ---- memory descriptors (segments of MD_BYTES owned by the caller's arena) ----

    static int plainTag(int rank) {
        if (rank < 1 || rank >= PLAIN_TAG.length) throw new IllegalArgumentException("rank " + rank);
        return PLAIN_TAG[rank];
    }

    MemorySegment mdByTag(Arena arena, long[] dims, int dataType, int tag) {
        MemorySegment md = arena.allocate(MD_BYTES, 8);
        try {
            check((int) mdByTag.call(md.address(), dims.length, dimsOf(arena, dims).address(), dataType, tag),
                    "dnnl_memory_desc_init_by_tag");
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_memory_desc_init_by_tag");
        }
        return md;
    }

    MemorySegment mdByStrides(Arena arena, long[] dims, int dataType, long[] strides) {
        MemorySegment md = arena.allocate(MD_BYTES, 8);
        try {
            check((int) mdByStrides.call(md.address(), dims.length, dimsOf(arena, dims).address(), dataType,
                    dimsOf(arena, strides).address()),
                    "dnnl_memory_desc_init_by_strides");
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_memory_desc_init_by_strides");
        }
        return md;
    }

    boolean mdEqual(MemorySegment a, MemorySegment b) {
        try {
            return (int) mdEqual.call(a.address(), b.address()) != 0;
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_memory_desc_equal");
        }
    }

    long mdSize(MemorySegment md) {
        try {
            return mdSize.call(md.address());
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_memory_desc_get_size");
        }
    }

    static MemorySegment dimsOf(Arena arena, long[] values) {
        MemorySegment dims = arena.allocate(8L * MAX_DIMS, 8);
        for (int i = 0; i < values.length; i++) dims.setAtIndex(H, i, values[i]);
        return dims;
    }

    // ---- memory objects ----

    /** A memory object over {@code handle} (a raw address; 0 for none until set). */
    long memoryCreate(MemorySegment md, long handle) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(H);
            check((int) memoryCreate.call(out.address(), md.address(), engine, handle), "dnnl_memory_create");
            return out.get(H, 0);
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_memory_create");
        }
    }

    void memorySetHandle(long memory, long handle) {
        try {
            check((int) memorySetHandle.call(memory, handle), "dnnl_memory_set_data_handle");
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_memory_set_data_handle");
        }
    }

    void memoryDestroy(long memory) {
        destroy(memoryDestroy, memory);
    }

    // ---- op descriptors ----

    /** A forward-inference convolution; {@code bias} may be null. Dilations in oneDNN's form (ONNX minus 1). */
    MemorySegment convolutionDesc(Arena arena, MemorySegment src, MemorySegment weights, MemorySegment bias,
                                  MemorySegment dst, long[] strides, long[] dilations, long[] padL, long[] padR) {
        MemorySegment desc = arena.allocate(CONV_DESC_BYTES, 8);
        MemorySegment biasOrNull = bias == null ? MemorySegment.NULL : bias;
        try {
            check((int) convDescInit.call(desc.address(), FORWARD_INFERENCE, CONVOLUTION_DIRECT, src.address(), weights.address(),
                    biasOrNull.address(), dst.address(), dimsOf(arena, strides).address(), dimsOf(arena, dilations).address(),
                    dimsOf(arena, padL).address(), dimsOf(arena, padR).address()), "dnnl_dilated_convolution_forward_desc_init");
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_dilated_convolution_forward_desc_init");
        }
        return desc;
    }

    MemorySegment matmulDesc(Arena arena, MemorySegment src, MemorySegment weights, MemorySegment bias,
                             MemorySegment dst) {
        MemorySegment desc = arena.allocate(MATMUL_DESC_BYTES, 8);
        MemorySegment biasOrNull = bias == null ? MemorySegment.NULL : bias;
        try {
            check((int) matmulDescInit.call(desc.address(), src.address(), weights.address(), biasOrNull.address(), dst.address()),
                    "dnnl_matmul_desc_init");
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_matmul_desc_init");
        }
        return desc;
    }

    // ---- primitive descriptors and primitives ----

    /** A primitive descriptor, or 0 when oneDNN has no implementation for it (status unimplemented). */
    long primitiveDesc(MemorySegment opDesc, long attr) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(H);
            int status = (int) pdCreate.call(out.address(), opDesc.address(), attr, engine, 0L);
            if (status == 3) return 0;
            check(status, "dnnl_primitive_desc_create");
            return out.get(H, 0);
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_primitive_desc_create");
        }
    }

    /** A reorder between two layouts, or 0 when unsupported. */
    long reorderDesc(MemorySegment from, MemorySegment to) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(H);
            int status = (int) reorderPdCreate.call(out.address(), from.address(), engine, to.address(), engine, 0L);
            if (status == 3) return 0;
            check(status, "dnnl_reorder_primitive_desc_create");
            return out.get(H, 0);
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_reorder_primitive_desc_create");
        }
    }

    /** A copy (into {@code arena}) of the memory descriptor a primitive descriptor chose for {@code query}. */
    MemorySegment queryMd(Arena arena, long pd, int query) {
        try {
            MemorySegment md = MemorySegment.ofAddress(pdQueryMd.call(pd, query, 0)).reinterpret(MD_BYTES);
            return arena.allocate(MD_BYTES, 8).copyFrom(md);
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_primitive_desc_query_md");
        }
    }

    /** The implementation oneDNN chose, such as {@code jit:avx512_core} or {@code gemm:jit}. */
    String implementation(long pd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(P);
            check((int) pdQuery.call(pd, QUERY_IMPL_INFO_STR, 0, out.address()), "dnnl_primitive_desc_query");
            return out.get(P, 0).reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_primitive_desc_query(impl_info_str)");
        }
    }

    /** Whether oneDNN chose its reference (scalar C++) implementation for {@code pd}. */
    boolean isReference(long pd) {
        return implementation(pd).startsWith("ref");
    }

    void primitiveDescDestroy(long pd) {
        destroy(pdDestroy, pd);
    }

    long primitiveCreate(long pd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(H);
            check((int) primitiveCreate.call(out.address(), pd), "dnnl_primitive_create");
            return out.get(H, 0);
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_primitive_create");
        }
    }

    /** Runs a primitive; {@code args} holds {@code count} {@code dnnl_exec_arg_t} {int arg; dnnl_memory_t memory}. */
    void execute(long primitive, long stream, int count, long args) {
        try {
            check((int) primitiveExecute.call(primitive, stream, count, args), "dnnl_primitive_execute");
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_primitive_execute");
        }
    }

    void primitiveDestroy(long primitive) {
        destroy(primitiveDestroy, primitive);
    }

    long streamCreate() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(H);
            check((int) streamCreate.call(out.address(), engine, 1), "dnnl_stream_create");
            return out.get(H, 0);
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_stream_create");
        }
    }

    void streamDestroy(long stream) {
        destroy(streamDestroy, stream);
    }

    // ---- attributes ----

    /**
     * Attributes with a user-provided scratchpad (so concurrent runs never share one), output scale
     * {@code alpha} when it is not 1, and a sum post-op when {@code accumulate}. Destroy with
     * {@link #attrDestroy}.
     */
    long attributes(float alpha, boolean accumulate) {
        return attributes(alpha, accumulate, null);
    }

    /**
     * The same, with {@code eltwise} (nullable) as the last post-op, after the sum: {@code
     * dst = eltwise(alpha * product + dst)}.
     */
    long attributes(float alpha, boolean accumulate, DnnlEltwise eltwise) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(H);
            check((int) attrCreate.call(out.address()), "dnnl_primitive_attr_create");
            long attr = out.get(H, 0);
            check((int) attrScratchpadMode.call(attr, 1), "dnnl_primitive_attr_set_scratchpad_mode");
            if (alpha != 1f) {
                MemorySegment scale = a.allocateFrom(ValueLayout.JAVA_FLOAT, alpha);
                check((int) attrOutputScales.call(attr, 1L, 0, scale.address()), "dnnl_primitive_attr_set_output_scales");
            }
            if (accumulate || eltwise != null) {
                check((int) postOpsCreate.call(out.address()), "dnnl_post_ops_create");
                long ops = out.get(H, 0);
                try {
                    if (accumulate) check((int) postOpsSum.call(ops, 1f), "dnnl_post_ops_append_sum");
                    if (eltwise != null) {
                        check((int) postOpsEltwise.call(ops, 1f, eltwise.algorithm(), eltwise.alpha(), eltwise.beta()),
                                "dnnl_post_ops_append_eltwise");
                    }
                    check((int) attrPostOps.call(attr, ops), "dnnl_primitive_attr_set_post_ops");
                } finally {
                    destroy(postOpsDestroy, ops);
                }
            }
            return attr;
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_primitive_attr");
        }
    }

    /**
     * Attributes of an 8-bit convolution: a user scratchpad; output scales per output channel
     * (mask {@code 1 << 1}), or one common scale when {@code scales} has one entry; common source
     * and destination zero points, set only when non-zero; when {@code round}, an eltwise round
     * post-op (half to even) and, when {@code clip}, an eltwise clip post-op to
     * {@code [clipLow, clipHigh]}. oneDNN 2.x computes
     * {@code dst = saturate(post_ops(scales * (acc + bias)) + dst_zero_point)}, so the clip bounds
     * are in the domain before the destination zero point is added; without the round post-op the
     * zero point is added before rounding, which moves ties (and near-ties) by one. Destroy with
     * {@link #attrDestroy}.
     */
    long int8ConvAttributes(float[] scales, int srcZeroPoint, int dstZeroPoint, boolean round, boolean clip,
                            float clipLow, float clipHigh) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(H);
            check((int) attrCreate.call(out.address()), "dnnl_primitive_attr_create");
            long attr = out.get(H, 0);
            try {
                check((int) attrScratchpadMode.call(attr, 1), "dnnl_primitive_attr_set_scratchpad_mode");
                MemorySegment values = a.allocateFrom(ValueLayout.JAVA_FLOAT, scales);
                int mask = scales.length == 1 ? 0 : 1 << 1;
                check((int) attrOutputScales.call(attr, scales.length, mask, values.address()),
                        "dnnl_primitive_attr_set_output_scales");
                setZeroPoint(a, attr, ARG_SRC, srcZeroPoint);
                setZeroPoint(a, attr, ARG_DST, dstZeroPoint);
                if (round || clip) {
                    check((int) postOpsCreate.call(out.address()), "dnnl_post_ops_create");
                    long ops = out.get(H, 0);
                    try {
                        if (round) {
                            check((int) postOpsEltwise.call(ops, 1f, ELTWISE_ROUND, 0f, 0f),
                                    "dnnl_post_ops_append_eltwise(round)");
                        }
                        if (clip) {
                            check((int) postOpsEltwise.call(ops, 1f, ELTWISE_CLIP, clipLow, clipHigh),
                                    "dnnl_post_ops_append_eltwise(clip)");
                        }
                        check((int) attrPostOps.call(attr, ops), "dnnl_primitive_attr_set_post_ops");
                    } finally {
                        destroy(postOpsDestroy, ops);
                    }
                }
                return attr;
            } catch (Throwable t) {
                destroy(attrDestroy, attr);
                throw t;
            }
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_primitive_attr (int8)");
        }
    }

    private void setZeroPoint(Arena a, long attr, int arg, int zeroPoint) throws Throwable {
        if (zeroPoint == 0) return;
        MemorySegment value = a.allocateFrom(ValueLayout.JAVA_INT, zeroPoint);
        check((int) attrZeroPoints.call(attr, arg, 1L, 0, value.address()), "dnnl_primitive_attr_set_zero_points");
    }

    void attrDestroy(long attr) {
        destroy(attrDestroy, attr);
    }

    private static void destroy(Downcall fn, long handle) {
        if (handle == 0) return;
        try {
            fn.call(handle);
        } catch (Throwable t) {
            throw rethrow(t, "destroy");
        }
    }

    static void check(int status, String function) {
        if (status != 0) throw new NativeKernelException("oneDNN " + function + " failed: " + statusName(status));
    }

    private static String statusName(int status) {
        return switch (status) {
            case 1 -> "out_of_memory";
            case 2 -> "invalid_arguments";
            case 3 -> "unimplemented";
            case 4 -> "iterator_ends";
            case 5 -> "runtime_error";
            case 6 -> "not_required";
            default -> "status " + status;
        };
    }

    /** Functions bound by {@link #function}, one downcall per symbol for the life of the process. */
    private final Map<String, Downcall> functions = new ConcurrentHashMap<>();

    /**
     * A further function of oneDNN, for a kernel class that binds the few it alone needs (pooling,
     * binary, recurrent ...) next to the code that calls it rather than in this class: bound once
     * per process, as the functions of {@link #bind}; {@code arguments} as {@link NativeLibrary#words}.
     * Its {@link Downcall#present} is false where this build of the library lacks the symbol.
     */
    Downcall function(String symbol, String arguments) {
        if (library == null) throw new NativeKernelException("oneDNN is not available: " + failure);
        return functions.computeIfAbsent(symbol, s -> library.words(s, arguments));
    }

    static RuntimeException rethrow(Throwable t, String function) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new NativeKernelException("oneDNN " + function + " failed", t);
    }

    // ---- appended by the CNN-speed task (issue 4): convolution algorithm choice ----

    /** {@code dnnl_convolution_winograd}: F(2x2,3x3)/F(4x4,3x3) for 3x3 stride-1 convolutions on blocked activations. */
    static final int CONVOLUTION_WINOGRAD = 2;

    /** As {@link #convolutionDesc}, with the algorithm ({@link #CONVOLUTION_DIRECT} or {@link #CONVOLUTION_WINOGRAD}). */
    MemorySegment convolutionDesc(Arena arena, int algorithm, MemorySegment src, MemorySegment weights, MemorySegment bias,
                                  MemorySegment dst, long[] strides, long[] dilations, long[] padL, long[] padR) {
        MemorySegment desc = arena.allocate(CONV_DESC_BYTES, 8);
        MemorySegment biasOrNull = bias == null ? MemorySegment.NULL : bias;
        try {
            check((int) convDescInit.call(desc.address(), FORWARD_INFERENCE, algorithm, src.address(), weights.address(),
                    biasOrNull.address(), dst.address(), dimsOf(arena, strides).address(), dimsOf(arena, dilations).address(),
                    dimsOf(arena, padL).address(), dimsOf(arena, padR).address()), "dnnl_dilated_convolution_forward_desc_init");
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_dilated_convolution_forward_desc_init");
        }
        return desc;
    }

    // ---- appended by the CNN-speed task (issue 4): resampling (Resize between blocked convolutions) ----

    /** {@code dnnl_resampling_nearest}. */
    static final int RESAMPLING_NEAREST = 0x2fff0;
    /** Bytes of a {@code dnnl_resampling_desc_t} of 2.x (3 enums, 4 memory descriptors, 12 factors), rounded up. */
    static final long RESAMPLING_DESC_BYTES = 4096;

    /** A forward-inference resampling from {@code src} to {@code dst}, the factors implied by their dimensions. */
    MemorySegment resamplingDesc(Arena arena, int algorithm, MemorySegment src, MemorySegment dst) {
        MemorySegment desc = arena.allocate(RESAMPLING_DESC_BYTES, 8);
        try {
            check((int) resamplingDescInit.call(desc.address(), FORWARD_INFERENCE, algorithm, 0L, src.address(),
                    dst.address()), "dnnl_resampling_forward_desc_init");
        } catch (Throwable t) {
            throw rethrow(t, "dnnl_resampling_forward_desc_init");
        }
        return desc;
    }
}
