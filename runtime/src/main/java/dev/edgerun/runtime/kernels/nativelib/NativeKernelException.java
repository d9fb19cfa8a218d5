package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.EdgerunException;

/** A native kernel library failed a call: names the library, the function and its status. */
public final class NativeKernelException extends EdgerunException {
    public NativeKernelException(String message) {
        super(message);
    }

    public NativeKernelException(String message, Throwable cause) {
        super(message, cause);
    }
}
