package dev.edgerun.runtime.kernels;

import java.util.function.Supplier;

/** Test helper: runs code with the kernel selection restricted to the Java kernels, then restores it. */
public final class JavaKernelsOnly {
    private JavaKernelsOnly() {}

    public static <T> T call(Supplier<T> body) {
        String before = System.getProperty(KernelSelection.PROPERTY);
        System.setProperty(KernelSelection.PROPERTY, "java");
        KernelSelection.resetDefaults();
        try {
            return body.get();
        } finally {
            if (before == null) System.clearProperty(KernelSelection.PROPERTY);
            else System.setProperty(KernelSelection.PROPERTY, before);
            KernelSelection.resetDefaults();
        }
    }
}
