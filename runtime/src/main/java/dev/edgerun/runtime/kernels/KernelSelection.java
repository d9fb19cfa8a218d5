package dev.edgerun.runtime.kernels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Chooses a kernel per node at compile time by asking the kernel providers in priority order:
 * native libraries registered through {@link ServiceLoader} (as {@link KernelProvider}), then
 * {@link JavaKernels#vector()}, then {@link JavaKernels#scalar()}. The system property
 * {@value #PROPERTY} ({@code java}, {@code scalar}, or a provider's name) restricts the choice to
 * one provider, the scalar one staying as the fallback; it is read once, when {@link #defaults()}
 * is first used. Providers that are unavailable, and the first choice per provider and kernel
 * family, are logged once (the choice at DEBUG level).
 *
 * <p>Availability is checked when a provider is discovered, except for providers that
 * {@linkplain KernelProvider#checksAvailabilityWhenAsked() check it themselves when asked}: the
 * native libraries, loaded only when a node first wants one of their kernels (a model that runs on
 * the Java kernels alone never opens oneDNN or XNNPACK), unless forced with {@value #PROPERTY}.
 */
public final class KernelSelection {
    public static final String PROPERTY = "edgerun.kernels";

    private static final System.Logger LOG = System.getLogger(KernelSelection.class.getName());
    private static volatile KernelSelection defaults;

    /** The thread count of the session whose kernels are being planned, bound around its planning only. */
    private static final ScopedValue<Integer> PLANNED_THREADS = ScopedValue.newInstance();

    private final List<KernelProvider> providers;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean preloadStarted = new AtomicBoolean();

    /** A selection over the given providers, asked in the given order. */
    public KernelSelection(List<KernelProvider> providers) {
        this.providers = List.copyOf(providers);
    }

    /** The process-wide selection: discovered providers, then Java vector, then scalar. */
    public static KernelSelection defaults() {
        KernelSelection s = defaults;
        if (s == null) {
            synchronized (KernelSelection.class) {
                s = defaults;
                if (s == null) defaults = s = new KernelSelection(discover(System.getProperty(PROPERTY, "")));
            }
        }
        return s;
    }

    static List<KernelProvider> discover(String forced) {
        List<KernelProvider> all = new ArrayList<>();
        for (KernelProvider p : ServiceLoader.load(KernelProvider.class)) all.add(p);
        all.add(JavaKernels.vector());
        all.add(JavaKernels.scalar());
        return usable(all, forced);
    }

    /** Of {@code all}, those {@code forced} leaves, by priority, less those known to be unavailable. */
    static List<KernelProvider> usable(List<KernelProvider> all, String forced) {
        all = new ArrayList<>(all);
        all.sort((a, b) -> Integer.compare(b.priority(), a.priority()));   // highest first (not Comparator.comparingInt: see ArenaLayout)
        List<KernelProvider> usable = new ArrayList<>();
        String want = forced.trim().equals("auto") ? "" : forced.trim(); // auto: every provider decides per spec
        for (KernelProvider p : all) {
            boolean chosen = want.isEmpty() || p.name().equals(want) || p.name().equals("scalar");
            if (!chosen) continue;
            if (want.isEmpty() && p.checksAvailabilityWhenAsked()) {
                usable.add(p); // checked (and its library loaded) when a node first wants its kernels
                continue;
            }
            KernelProvider.Availability a = p.availability();
            if (a.available()) usable.add(p);
            else LOG.log(System.Logger.Level.INFO, "kernel provider " + p.name() + " not used: " + a.reason());
        }
        if (!want.isEmpty() && usable.stream().noneMatch(p -> p.name().equals(want))) {
            LOG.log(System.Logger.Level.WARNING, PROPERTY + "=" + want + " names no available provider; using "
                    + usable.stream().map(KernelProvider::name).toList());
        }
        return usable;
    }

    /**
     * Plans kernels with {@code planning}, telling providers whose kernels fix their parallel split
     * when built (oneDNN) that they will run with {@code threads} threads: they build for that count
     * once, at compile time, instead of for the machine's cores and then again on the first run of a
     * 1-thread session. The count is visible to kernels built inside {@code planning} only.
     */
    public static <T> T planningWith(int threads, Supplier<T> planning) {
        return ScopedValue.where(PLANNED_THREADS, Math.max(0, threads)).call(planning::get);
    }

    /** The count of the enclosing {@link #planningWith}, or 0 outside one. */
    public static int plannedThreads() {
        return PLANNED_THREADS.orElse(0);
    }

    /**
     * Starts opening, on a daemon thread, the first provider that opens its library only when a
     * node asks for its kernels ({@link KernelProvider#checksAvailabilityWhenAsked}), for a session
     * about to be planned with kernels it is likely to want: the library then opens on the second
     * core while the session's graph is optimised, instead of on the planning thread. At most once
     * per selection (so once per process for {@link #defaults()}); nothing when no such provider is
     * selected ({@code --kernels java}).
     */
    public void preloadInBackground() {
        preloadInBackground(() -> { });
    }

    /**
     * As {@link #preloadInBackground()}, then runs {@code afterwards} on the same thread (work the
     * session needs later than the library, such as {@link VectorWarmup#warmUpHere}, so that the two
     * do not compete for the second core); true when this call started that thread.
     */
    public boolean preloadInBackground(Runnable afterwards) {
        for (KernelProvider p : providers) {
            if (!p.checksAvailabilityWhenAsked()) continue;
            if (!preloadStarted.compareAndSet(false, true)) return false;
            Thread t = new Thread(() -> {
                p.preload();
                afterwards.run();
            }, "edgerun-preload-" + p.name());
            t.setDaemon(true);
            t.start();
            return true;
        }
        return false;
    }

    /**
     * Forgets the process-wide selection, so the next {@link #defaults()} reads {@value #PROPERTY}
     * again: for tests and benchmarks that compare providers in one process.
     */
    public static synchronized void resetDefaults() {
        defaults = null;
    }

    /**
     * The available providers, in the order they are asked. A provider that checks its
     * availability when asked is checked here if no node has asked it yet (which may load its
     * native library): for reports, not for choosing kernels ({@link #provider} checks only one).
     */
    public List<KernelProvider> providers() {
        return providers.stream().filter(p -> !p.checksAvailabilityWhenAsked() || p.availability().available()).toList();
    }

    /** The provider called {@code name} among those asked, if it is available; checks no other provider. */
    public Optional<KernelProvider> provider(String name) {
        return providers.stream().filter(p -> p.name().equals(name)).findFirst()
                .filter(p -> !p.checksAvailabilityWhenAsked() || p.availability().available());
    }

    /** The first provider's GEMM for {@code spec}; empty when none supports it. */
    public Optional<KernelProvider.GemmKernel> gemm(KernelProvider.GemmSpec spec) {
        return choose("gemm", p -> p.gemm(spec));
    }

    /** The first provider's convolution for {@code spec}; empty when none supports it. */
    public Optional<KernelProvider.ConvKernel> conv(KernelProvider.ConvSpec spec) {
        return choose("conv", p -> p.conv(spec));
    }

    /** The first provider's transposed convolution for {@code spec} ({@link KernelProvider#convTranspose}); empty when none supports it. */
    public Optional<KernelProvider.ConvKernel> convTranspose(KernelProvider.ConvSpec spec) {
        return choose("convTranspose", p -> p.convTranspose(spec));
    }

    /** The first provider's 8-bit convolution for {@code spec}; empty when none supports it. */
    public Optional<KernelProvider.Q8ConvKernel> q8conv(KernelProvider.Q8ConvSpec spec) {
        return choose("q8conv", p -> p.q8conv(spec));
    }

    private <K> Optional<K> choose(String family, Function<KernelProvider, Optional<K>> ask) {
        for (KernelProvider p : providers) {
            Optional<K> k = ask.apply(p);
            if (k.isPresent()) {
                if (logged.add(family + "/" + p.name())) {
                    LOG.log(System.Logger.Level.DEBUG, () -> family + " kernels from provider " + p);
                }
                return k;
            }
        }
        return Optional.empty();
    }
}
