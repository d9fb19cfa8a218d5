package dev.edgerun.devices.providers;

import java.util.List;

/**
 * The device a session runs on and, when devices before it in the preference list could not be
 * used, why each was skipped ({@code "cuda: ..."}).
 */
public record DeviceChoice(ExecutionProvider provider, List<String> skipped) {
    public DeviceChoice {
        skipped = List.copyOf(skipped);
    }

    /** {@code cpu}, or {@code cpu (fallback: cuda unavailable)} when earlier devices were skipped. */
    public String summary() {
        if (skipped.isEmpty()) return provider.device();
        List<String> names = skipped.stream().map(s -> s.substring(0, s.indexOf(':'))).toList();
        return provider.device() + " (fallback: " + String.join(", ", names) + " unavailable)";
    }
}
