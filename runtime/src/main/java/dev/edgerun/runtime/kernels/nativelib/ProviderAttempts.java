package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What the native kernel providers share when planning a kernel: whether the user forced the
 * provider ({@code -Dedgerun.kernels=NAME}), and building a kernel where a failure is logged once
 * per kernel family and answered with "not supported", so the next provider takes over.
 */
final class ProviderAttempts {
    private final String library;
    private final System.Logger log;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    /** @param library the library's name in log lines, such as {@code oneDNN} */
    ProviderAttempts(String library, Class<?> provider) {
        this.library = library;
        this.log = System.getLogger(provider.getName());
    }

    /** Whether {@code -Dedgerun.kernels} names the provider {@code name}. */
    static boolean forced(String name) {
        return name.equals(System.getProperty(KernelSelection.PROPERTY, "").trim());
    }

    /** The kernel {@code build} makes (empty when it returns null), or empty after logging its failure once. */
    <K> Optional<K> attempt(String family, Object spec, Supplier<K> build) {
        try {
            return Optional.ofNullable(build.get());
        } catch (RuntimeException e) {
            if (logged.add(family)) {
                log.log(System.Logger.Level.WARNING, library + " " + family + " failed for " + spec
                        + "; using the next kernel provider instead (logged once): " + e.getMessage());
            }
            return Optional.empty();
        }
    }

    /**
     * Whether {@code provider} can run here (loading its library on the first call), logging why
     * not once: for providers that {@linkplain KernelProvider#checksAvailabilityWhenAsked() check
     * their availability when asked}.
     */
    boolean available(KernelProvider provider) {
        KernelProvider.Availability a = provider.availability();
        if (!a.available()) infoOnce("unavailable", "kernel provider " + provider.name() + " not used: " + a.reason());
        return a.available();
    }

    /** Logs {@code message} at INFO the first time {@code key} is seen. */
    void infoOnce(String key, String message) {
        if (logged.add(key)) log.log(System.Logger.Level.INFO, message);
    }
}
