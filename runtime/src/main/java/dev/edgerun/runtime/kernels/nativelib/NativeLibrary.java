package dev.edgerun.runtime.kernels.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One shared library opened at run time with {@link SymbolLookup#libraryLookup} (never needed at
 * build time) and its functions bound as downcall handles on first use ({@link #downcall},
 * {@link #words}). Missing symbols are collected when a function is declared rather than thrown
 * one by one, so a facade can report them all at once and fall back.
 */
final class NativeLibrary {
    private final String name;
    private final SymbolLookup lookup;
    private final List<String> missing = new ArrayList<>();
    private final List<Downcall> declared = new ArrayList<>();

    private NativeLibrary(String name, SymbolLookup lookup) {
        this.name = name;
        this.lookup = lookup;
    }

    /**
     * Opens the first of {@code candidates} (file names or paths) that loads; the library stays
     * loaded for the life of the process. Empty when none loads, with the reasons in {@code why}.
     */
    static Optional<NativeLibrary> open(List<String> candidates, StringBuilder why) {
        for (String candidate : candidates) {
            try {
                return Optional.of(new NativeLibrary(candidate, SymbolLookup.libraryLookup(candidate, Arena.global())));
            } catch (IllegalArgumentException | IllegalCallerException e) {
                if (!why.isEmpty()) why.append("; ");
                why.append(candidate).append(": ").append(e.getMessage());
            }
        }
        return Optional.empty();
    }

    String name() {
        return name;
    }

    /**
     * The function {@code symbol}, its handle created on first use ({@link Downcall#handle()});
     * a symbol the library does not export is recorded in {@link #missing()} now.
     */
    Downcall downcall(String symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        return declare(Downcall.exact(name, symbol, find(symbol), descriptor, options));
    }

    /**
     * As {@link #downcall}, with every integer and pointer argument and the result passed as a
     * {@code long} ({@link Downcall#words}; {@code arguments}: {@code w} or {@code f} per argument).
     */
    Downcall words(String symbol, String arguments, Linker.Option... options) {
        return declare(Downcall.words(name, symbol, find(symbol), arguments, options));
    }

    private synchronized Downcall declare(Downcall d) {
        declared.add(d);
        return d;
    }

    /**
     * Creates now the downcall handles of every function declared so far whose symbol exists: for a
     * background thread that opens the library before a session needs it (each handle costs the
     * thread that first calls the function up to milliseconds of cold linker code).
     */
    void linkAll() {
        List<Downcall> all;
        synchronized (this) {
            all = List.copyOf(declared);
        }
        for (Downcall d : all) d.link();
    }

    private MemorySegment find(String symbol) {
        Optional<MemorySegment> address = lookup.find(symbol);
        if (address.isEmpty()) missing.add(symbol);
        return address.orElse(null);
    }

    /** Whether the library exports {@code symbol} (not recorded as missing when it does not). */
    boolean exports(String symbol) {
        return lookup.find(symbol).isPresent();
    }

    /** Symbols asked for with {@link #downcall} or {@link #words} that the library does not export. */
    List<String> missing() {
        return List.copyOf(missing);
    }
}
