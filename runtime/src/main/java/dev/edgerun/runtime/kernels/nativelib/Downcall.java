package dev.edgerun.runtime.kernels.nativelib;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;

/**
 * A function of a {@link NativeLibrary} whose downcall handle is created on first use. The symbol
 * is looked up when the library is opened (so a missing one is reported with the others, before
 * anything runs), but the handle waits: creating one costs milliseconds of cold JVM code per
 * distinct signature (the linker generates and loads classes and a native stub for each), and a
 * model uses some of a library's functions only.
 *
 * <p>Two kinds. An exact downcall has the C signature as declared; call it as
 * {@code (int) f.handle().invokeExact(...)}. A <em>word</em> downcall passes every integer and
 * pointer argument, and its result, as a {@code long} (pointers as {@link MemorySegment#address()});
 * call it with {@code call(...)}, which widens {@code int} arguments, and narrow an {@code int}
 * result with {@code (int)}. That is exact on the 64-bit ABIs this runs on (x86-64 System V,
 * AArch64): an {@code int} travels in the low half of a 64-bit register or stack slot, and the
 * callee ignores the upper half; an {@code int} result is the low half of the result register.
 * Its point is that functions share linked handle shapes, and linking each distinct shape is what
 * costs: a word downcall of integers and pointers only is linked with {@value #MAX_WORDS} words
 * whatever its arity, and {@code call} passes zeros after its own arguments. A C function ignores
 * arguments beyond its prototype's, which on these ABIs the caller places and removes (registers,
 * then caller-owned stack slots), so one linked shape serves them all (two with the
 * {@code critical} option). oneDNN's 30 functions have 22 distinct C signatures; as words of their
 * own arity they made 10 shapes, and binding them took 114-209 ms of CPU against 196-266 ms (4 runs
 * each, load ~8).
 *
 * <p>Word downcalls with {@code float} arguments share one shape too: at most {@value #MIXED_WORDS}
 * words, then at most {@value #MIXED_FLOATS} floats. Both ABIs assign integer and floating-point
 * arguments of a non-variadic function to their own register sequences, each in argument order
 * ({@code rdi, rsi, ...} and {@code xmm0, xmm1, ...}; {@code x0...} and {@code v0...}), so
 * {@code f(w, float, w, float, float)} receives its arguments from the call {@code (w, w, 0, 0, 0,
 * float, float, float)}; the {@code call} methods with floats reorder so, checking the argument
 * kinds they were declared with. dnnl_post_ops_append_sum ({@code wf}) and _eltwise ({@code wfwff}),
 * dnnl_eltwise_forward_desc_init ({@code wwwwff}) and dnnl_layer_normalization_forward_desc_init
 * ({@code wwwwfw}) linked four shapes of their own before.
 */
final class Downcall {
    private static final Linker LINKER = Linker.nativeLinker();
    /** Words every word downcall of integers and pointers only is linked with (dnnl_dilated_convolution_forward_desc_init has 11). */
    static final int MAX_WORDS = 11;
    /** Words, then floats, of the one shape of word downcalls with floats (see above). */
    static final int MIXED_WORDS = 5, MIXED_FLOATS = 3;

    private final String library;
    private final String symbol;
    private final MemorySegment address; // null when the library lacks the symbol
    private final FunctionDescriptor descriptor;
    private final boolean words;
    private final int arity;       // the C function's own argument count
    private final String kinds;    // of a word downcall: w or f per argument of the C function
    private final Linker.Option[] options;
    private volatile MethodHandle handle;

    private Downcall(String library, String symbol, MemorySegment address, FunctionDescriptor descriptor, boolean words,
                     String kinds, Linker.Option... options) {
        this.library = library;
        this.kinds = kinds;
        this.symbol = symbol;
        this.address = address;
        this.descriptor = descriptor;
        this.words = words;
        this.arity = words ? kinds.length() : descriptor.argumentLayouts().size();
        this.options = options.clone();
    }

    /** A downcall with the C signature {@code descriptor}. */
    static Downcall exact(String library, String symbol, MemorySegment address, FunctionDescriptor descriptor,
                          Linker.Option... options) {
        return new Downcall(library, symbol, address, descriptor, false, "", options);
    }

    /**
     * A word downcall: {@code arguments} has one letter per argument, {@code w} for an integer or
     * pointer (passed as a {@code long}) and {@code f} for a {@code float}; the result is a {@code long}.
     */
    static Downcall words(String library, String symbol, MemorySegment address, String arguments,
                          Linker.Option... options) {
        // all words, at most MAX_WORDS: the shared padded shape; longer (dnnl_lstm_forward_desc_init, 13) link their own
        int floats = floats(arguments);
        boolean padded = floats == 0 && arguments.length() <= MAX_WORDS;
        boolean mixed = floats > 0 && floats <= MIXED_FLOATS && arguments.length() - floats <= MIXED_WORDS;
        MemoryLayout[] layouts = new MemoryLayout[padded ? MAX_WORDS : mixed ? MIXED_WORDS + MIXED_FLOATS : arguments.length()];
        if (padded) Arrays.fill(layouts, ValueLayout.JAVA_LONG);
        if (mixed) {
            Arrays.fill(layouts, 0, MIXED_WORDS, ValueLayout.JAVA_LONG);
            Arrays.fill(layouts, MIXED_WORDS, layouts.length, ValueLayout.JAVA_FLOAT);
        }
        for (int i = 0; i < arguments.length() && !padded && !mixed; i++) {
            layouts[i] = arguments.charAt(i) == 'f' ? ValueLayout.JAVA_FLOAT : ValueLayout.JAVA_LONG;
        }
        return new Downcall(library, symbol, address, FunctionDescriptor.of(ValueLayout.JAVA_LONG, layouts), true,
                arguments, options);
    }

    /** The count of {@code f} in {@code arguments}, which must hold only {@code w} and {@code f}. */
    private static int floats(String arguments) {
        int floats = 0;
        for (int i = 0; i < arguments.length(); i++) {
            char c = arguments.charAt(i);
            if (c == 'f') floats++;
            else if (c != 'w') throw new IllegalArgumentException("argument kinds are w or f: " + arguments);
        }
        return floats;
    }

    /** Whether the library exports the symbol. */
    boolean present() {
        return address != null;
    }

    /** The downcall handle of an exact downcall, created on the first call; throws when the library lacks the symbol. */
    MethodHandle handle() {
        if (words) throw new IllegalStateException(this + " is bound with word arguments: use call(...)");
        return linked();
    }

    private MethodHandle linked() {
        MethodHandle h = handle;
        return h != null ? h : bind();
    }

    private synchronized MethodHandle bind() {
        if (handle == null) {
            if (address == null) {
                throw new NativeKernelException(library + " does not export " + symbol + descriptor
                        + " (looked up when the library was opened; a provider reports missing symbols as unavailable)");
            }
            handle = LINKER.downcallHandle(address, descriptor, options);
        }
        return handle;
    }

    /** Creates the handle now, when the library exports the symbol (see {@link NativeLibrary#linkAll}). */
    void link() {
        if (address != null) linked();
    }

    /** Whether the handle exists yet (for tests). */
    boolean bound() {
        return handle != null;
    }

    // ---- word downcalls: a call with another count of arguments than the function's throws ----

    long call() throws Throwable {
        return words(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    long call(long a) throws Throwable {
        return words(1, a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    long call(long a, long b) throws Throwable {
        return words(2, a, b, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    long call(long a, long b, long c) throws Throwable {
        return words(3, a, b, c, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    long call(long a, long b, long c, long d) throws Throwable {
        return words(4, a, b, c, d, 0, 0, 0, 0, 0, 0, 0);
    }

    long call(long a, long b, long c, long d, long e) throws Throwable {
        return words(5, a, b, c, d, e, 0, 0, 0, 0, 0, 0);
    }

    long call(long a, long b, long c, long d, long e, long f) throws Throwable {
        return words(6, a, b, c, d, e, f, 0, 0, 0, 0, 0);
    }

    long call(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j, long k) throws Throwable {
        return words(11, a, b, c, d, e, f, g, h, i, j, k);
    }

    /** A call of a word function of 13 arguments, linked with its own shape (more than {@value #MAX_WORDS}). */
    long call(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j, long k, long l, long m)
            throws Throwable {
        if (arity != 13) throw new IllegalArgumentException(this + " takes " + arity + " arguments, not 13");
        return (long) linked().invokeExact(a, b, c, d, e, f, g, h, i, j, k, l, m);
    }

    private long words(int count, long a, long b, long c, long d, long e, long f, long g, long h, long i, long j, long k)
            throws Throwable {
        if (count != arity) throw new IllegalArgumentException(this + " takes " + arity + " arguments, not " + count);
        return (long) linked().invokeExact(a, b, c, d, e, f, g, h, i, j, k);
    }

    long call(long a, float b) throws Throwable {
        return mixed("wf", a, 0, 0, 0, 0, b, 0f, 0f);
    }

    long call(long a, float b, long c, float d, float e) throws Throwable {
        return mixed("wfwff", a, c, 0, 0, 0, b, d, e);
    }

    /** As {@code wwwwff} (dnnl_eltwise_forward_desc_init). */
    long call(long a, long b, long c, long d, float e, float f) throws Throwable {
        return mixed("wwwwff", a, b, c, d, 0, e, f, 0f);
    }

    /** As {@code wwwwfw} (dnnl_layer_normalization_forward_desc_init). */
    long call(long a, long b, long c, long d, float e, long f) throws Throwable {
        return mixed("wwwwfw", a, b, c, d, f, e, 0f, 0f);
    }

    /** A call of the shared shape with floats: the words, then the floats, each in the C function's order. */
    private long mixed(String declared, long a, long b, long c, long d, long e, float f, float g, float h) throws Throwable {
        if (!kinds.equals(declared)) throw new IllegalArgumentException(this + " takes " + kinds + ", not " + declared);
        return (long) linked().invokeExact(a, b, c, d, e, f, g, h);
    }

    @Override
    public String toString() {
        return library + ":" + symbol + descriptor + (options.length > 0 ? Arrays.toString(options) : "");
    }
}
