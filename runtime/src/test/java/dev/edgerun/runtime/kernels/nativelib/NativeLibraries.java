package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.kernels.KernelProvider;

/**
 * Skips a test loudly when a native library cannot be loaded, or fails it when the environment
 * variable (or system property) {@value #REQUIRE} is {@code 1}/{@code true}, as CI sets it.
 */
final class NativeLibraries {
    static final String REQUIRE = "EDGERUN_REQUIRE_NATIVE_KERNELS";

    private NativeLibraries() { }

    static void assumeAvailable(KernelProvider provider) {
        KernelProvider.Availability a = provider.availability();
        if (a.available()) return;
        String message = "kernel provider " + provider.name() + " unavailable: " + a.reason();
        if (required()) fail(message + " (" + REQUIRE + " is set)");
        assumeTrue(false, message + "; skipping (set " + REQUIRE + "=1 to fail instead)");
    }

    static boolean required() {
        String v = System.getenv(REQUIRE);
        if (v == null) v = System.getProperty(REQUIRE, "");
        return v.equals("1") || v.equalsIgnoreCase("true");
    }
}
