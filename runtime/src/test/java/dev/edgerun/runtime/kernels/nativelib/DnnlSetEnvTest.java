package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;

/** {@link Dnnl#setEnv} (a word downcall of setenv) changes the process environment, as libgomp reads it. */
class DnnlSetEnvTest {

    @Test
    void setEnvIsSeenByGetenv() throws Throwable {
        String name = "EDGERUN_DNNL_SET_ENV_TEST";
        Dnnl.setEnv(name, "12345");
        assertEquals("12345", getenv(name));
        Dnnl.setEnv(name, "passive");
        assertEquals("passive", getenv(name), "overwrites");
    }

    private static String getenv(String name) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle getenv = linker.downcallHandle(linker.defaultLookup().find("getenv").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment value = (MemorySegment) getenv.invokeExact(a.allocateFrom(name));
            return value.equals(MemorySegment.NULL) ? null : value.reinterpret(256).getString(0);
        }
    }
}
