package dev.edgerun.runtime.kernels.nativelib;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;

/**
 * A function of a {@link NativeLibrary} whose downcall handle is created on first use. The symbol
 * is looked up when the library is opened (so a missing one is reported with the others, before
 * anything runs), but the handle waits: creating one costs milliseconds of cold JVM code per
 * distinct signature (the linker generates and loads a class and a native stub for each), and a
 * model uses a few of a library's functions. Call it as {@code (int) f.handle().invokeExact(...)}.
 */
final class Downcall {
    private static final Linker LINKER = Linker.nativeLinker();

    private final String library;
    private final String symbol;
    private final MemorySegment address; // null when the library lacks the symbol
    private final FunctionDescriptor descriptor;
    private final Linker.Option[] options;
    private volatile MethodHandle handle;

    Downcall(String library, String symbol, MemorySegment address, FunctionDescriptor descriptor,
             Linker.Option... options) {
        this.library = library;
        this.symbol = symbol;
        this.address = address;
        this.descriptor = descriptor;
        this.options = options.clone();
    }

    /** Whether the library exports the symbol. */
    boolean present() {
        return address != null;
    }

    /** The downcall handle, created on the first call; throws when the library lacks the symbol. */
    MethodHandle handle() {
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

    /** Whether the handle exists yet (for tests). */
    boolean bound() {
        return handle != null;
    }

    @Override
    public String toString() {
        return library + ":" + symbol + descriptor + (options.length > 0 ? Arrays.toString(options) : "");
    }
}
