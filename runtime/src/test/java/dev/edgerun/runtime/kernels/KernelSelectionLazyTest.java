package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Providers that check their availability when asked (native libraries) are not loaded before a node wants them. */
class KernelSelectionLazyTest {

    /** A provider like the native ones: takes only 7x7x7 products, and counts how often it was checked. */
    private static final class OnDemand implements KernelProvider {
        final AtomicInteger checks = new AtomicInteger();
        final boolean installed;

        OnDemand(boolean installed) {
            this.installed = installed;
        }

        @Override public String name() { return "ondemand"; }
        @Override public int priority() { return 60; }
        @Override public boolean checksAvailabilityWhenAsked() { return true; }

        @Override
        public Availability availability() {
            checks.incrementAndGet();
            return installed ? Availability.YES : Availability.no("library not installed");
        }

        @Override
        public Optional<GemmKernel> gemm(GemmSpec spec) {
            if (spec.m() != 7 || spec.n() != 7 || spec.k() != 7) return Optional.empty(); // its rules, no library needed
            if (!availability().available()) return Optional.empty();
            return JavaKernels.scalar().gemm(spec);
        }
    }

    @Test
    void discoveryInAutomaticSelectionDoesNotCheckAnOnDemandProvider() {
        OnDemand lazy = new OnDemand(false);
        List<KernelProvider> usable = KernelSelection.usable(List.of(JavaKernels.scalar(), lazy), "auto");
        assertEquals(List.of("ondemand", "scalar"), usable.stream().map(KernelProvider::name).toList());
        assertEquals(0, lazy.checks.get());
    }

    @Test
    void aForcedOnDemandProviderIsCheckedAtDiscoveryAndDroppedWhenUnavailable() {
        OnDemand lazy = new OnDemand(false);
        List<KernelProvider> usable = KernelSelection.usable(List.of(JavaKernels.scalar(), lazy), "ondemand");
        assertEquals(List.of("scalar"), usable.stream().map(KernelProvider::name).toList());
        assertEquals(1, lazy.checks.get());
    }

    @Test
    void specsTheProviderDeclinesAndTheJavaLookupNeverCheckIt() {
        OnDemand lazy = new OnDemand(true);
        KernelSelection selection = new KernelSelection(List.of(lazy, JavaKernels.scalar()));
        assertInstanceOf(F32GemmKernel.class, selection.gemm(KernelProvider.GemmSpec.f32(3, 4, 5)).orElseThrow());
        assertEquals("scalar", selection.provider("scalar").orElseThrow().name());
        assertEquals(0, lazy.checks.get(), "nothing wanted the on-demand provider yet");
        assertTrue(selection.gemm(KernelProvider.GemmSpec.f32(7, 7, 7)).isPresent());
        assertTrue(lazy.checks.get() > 0, "a spec it takes checks it");
    }

    @Test
    void providersLeavesOutAnOnDemandProviderThatTurnsOutUnavailable() {
        OnDemand missing = new OnDemand(false);
        KernelSelection selection = new KernelSelection(List.of(missing, JavaKernels.scalar()));
        assertTrue(selection.gemm(KernelProvider.GemmSpec.f32(7, 7, 7)).isPresent(), "the scalar kernels take over");
        assertEquals(List.of("scalar"), selection.providers().stream().map(KernelProvider::name).toList());
        assertTrue(selection.provider("ondemand").isEmpty());
    }
}
