package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Lazily bound functions of a {@link NativeLibrary}, on the C library (present on every Linux this runs on). */
class DowncallTest {
    private static final FunctionDescriptor STRLEN = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);

    private static NativeLibrary libc() {
        StringBuilder why = new StringBuilder();
        Optional<NativeLibrary> lib = NativeLibrary.open(List.of("libc.so.6"), why);
        assumeTrue(lib.isPresent(), "no libc.so.6 here (" + why + "); skipping");
        return lib.get();
    }

    @Test
    void theHandleIsCreatedOnFirstUseAndThenKept() throws Throwable {
        NativeLibrary libc = libc();
        Downcall strlen = libc.downcall("strlen", STRLEN);
        assertTrue(strlen.present());
        assertFalse(strlen.bound(), "looked up, not bound, when declared");
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(7L, (long) strlen.handle().invokeExact(arena.allocateFrom("edgerun")));
        }
        assertTrue(strlen.bound());
        assertEquals(strlen.handle(), strlen.handle());
        assertTrue(libc.missing().isEmpty());
    }

    @Test
    void aMissingSymbolIsReportedWhenOpenedAndNamedWhenCalled() {
        NativeLibrary libc = libc();
        Downcall absent = libc.downcall("edgerun_no_such_function", STRLEN);
        assertFalse(absent.present());
        assertEquals(List.of("edgerun_no_such_function"), libc.missing());
        NativeKernelException e = assertThrows(NativeKernelException.class, absent::handle);
        assertTrue(e.getMessage().contains("libc.so.6") && e.getMessage().contains("edgerun_no_such_function"), e.getMessage());
    }

    @Test
    void wordDowncallsPassIntsAndPointersAsLongs() throws Throwable {
        NativeLibrary libc = libc();
        Downcall strlen = libc.words("strlen", "w");
        Downcall abs = libc.words("abs", "w");
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(7L, strlen.call(arena.allocateFrom("edgerun").address()));
        }
        assertEquals(5, (int) abs.call(-5), "an int argument in a 64-bit slot, an int result in the low half");
        assertEquals(Integer.MAX_VALUE, (int) abs.call(-Integer.MAX_VALUE));
        IllegalStateException e = assertThrows(IllegalStateException.class, strlen::handle);
        assertTrue(e.getMessage().contains("call("), e.getMessage());
        IllegalArgumentException arity = assertThrows(IllegalArgumentException.class, () -> abs.call(1, 2));
        assertTrue(arity.getMessage().contains("abs") && arity.getMessage().contains("takes 1"), arity.getMessage());
    }

    @Test
    void exportsDoesNotRecordAMissingSymbol() {
        NativeLibrary libc = libc();
        assertTrue(libc.exports("strlen"));
        assertFalse(libc.exports("edgerun_no_such_function"));
        assertTrue(libc.missing().isEmpty());
    }

    @Test
    void linkAllBindsEveryDeclaredFunctionThatExists() throws Throwable {
        NativeLibrary libc = libc();
        Downcall strlen = libc.downcall("strlen", STRLEN);
        Downcall abs = libc.words("abs", "w");
        Downcall absent = libc.words("edgerun_no_such_function", "w");
        assertFalse(strlen.bound() || abs.bound());
        libc.linkAll();
        assertTrue(strlen.bound() && abs.bound(), "both existing functions bound");
        assertFalse(absent.bound(), "a missing symbol stays unbound (and reported as missing)");
        assertEquals(3, (int) abs.call(-3));
    }

    @Test
    void wordDowncallsWithFloatsShareOneShapeAndCheckTheirKinds() throws Throwable {
        NativeLibrary libc = libc();
        String shape = shapeOf(libc.words("abs", "wf"));
        for (String kinds : List.of("wfwff", "wwwwff", "wwwwfw")) assertEquals(shape, shapeOf(libc.words("abs", kinds)), kinds);
        // abs(int) reads the first integer register only: the words come first whatever the C order
        assertEquals(7, (int) libc.words("abs", "wf").call(-7, 2.5f));
        assertEquals(9, (int) libc.words("abs", "wfwff").call(-9, 1f, 4, 2f, 3f));
        assertThrows(IllegalArgumentException.class, () -> libc.words("abs", "wwwwff").call(-1, 1f),
                "a call with other argument kinds than declared");
    }

    /** The linked shape of a downcall: its descriptor and options, without the symbol. */
    private static String shapeOf(Downcall d) {
        return d.toString().substring(d.toString().indexOf('('));
    }
}
