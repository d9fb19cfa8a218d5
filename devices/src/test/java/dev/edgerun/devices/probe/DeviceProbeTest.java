package dev.edgerun.devices.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe against recorded /proc and /sys trees (src/test/resources/probe/BOARD). */
class DeviceProbeTest {

    private static DeviceFacts board(String name) throws URISyntaxException {
        return DeviceProbe.at(Path.of(DeviceProbeTest.class.getResource("/probe/" + name).toURI())).probe();
    }

    @Test
    void raspberryPi4() throws Exception {
        DeviceFacts f = board("rpi4");
        assertEquals("aarch64", f.arch());
        assertEquals("Raspberry Pi 4 Model B Rev 1.4", f.boardModel());
        assertEquals("4x Cortex-A72", f.cpuModel());
        assertEquals(4, f.logicalCpus());
        assertEquals(4, f.physicalCores());
        assertEquals(4, f.bigCores());
        assertEquals(List.of(new CpuCluster("Cortex-A72", 1_800_000, List.of(0, 1, 2, 3), 4)), f.clusters());
        assertTrue(f.hasFeature("asimd"));
        assertFalse(f.hasFeature("asimddp"), "the A72 has no dot product instructions");
        assertEquals(7998888L * 1024, f.memoryTotalBytes());
        assertEquals(7161012L * 1024, f.memoryAvailableBytes());
        assertEquals(48.686, f.cpuTemperatureC(), 1e-9);
        assertEquals(List.of(), f.nvidiaGpus());
    }

    @Test
    void raspberryPi5() throws Exception {
        DeviceFacts f = board("rpi5");
        assertEquals("Raspberry Pi 5 Model B Rev 1.0", f.boardModel());
        assertEquals("4x Cortex-A76", f.cpuModel());
        assertEquals(2_400_000, f.clusters().getFirst().maxFreqKhz());
        assertEquals(List.of("asimd", "asimddp", "asimdhp", "fphp"), f.cpuFeatures());
        assertFalse(f.hasFeature("i8mm"));
        assertEquals(52.15, f.cpuTemperatureC(), 1e-9);
    }

    @Test
    void jetsonOrin() throws Exception {
        DeviceFacts f = board("jetson");
        assertTrue(f.boardModel().startsWith("NVIDIA Jetson"), f.boardModel());
        assertEquals("12x Cortex-A78AE", f.cpuModel());
        assertEquals(12, f.physicalCores());
        assertEquals(12, f.bigCores());
        assertTrue(f.hasFeature("asimddp"));
        assertFalse(f.hasFeature("sve"));
        assertEquals(45.187, f.cpuTemperatureC(), 1e-9, "the cpu-thermal zone, not zone 0 (gpu-thermal)");
        assertEquals(31976352L * 1024, f.memoryTotalBytes());
    }

    @Test
    void x86Server() throws Exception {
        DeviceFacts f = board("x86");
        assertEquals("x86_64", f.arch());
        assertEquals("Intel(R) Xeon(R) Platinum 8480+", f.cpuModel());
        assertEquals(8, f.logicalCpus());
        assertEquals(4, f.physicalCores(), "2 sockets x 2 cores, hyper-threads not counted");
        assertEquals(4, f.bigCores());
        for (String isa : List.of("avx2", "avx512f", "avx512_vnni", "amx_tile", "amx_int8")) {
            assertTrue(f.hasFeature(isa), isa);
        }
        assertFalse(f.cpuFeatures().contains("lm"), "only kernel-relevant flags are listed");
        assertNull(f.boardModel());
        assertEquals(41.0, f.cpuTemperatureC(), 1e-9, "x86_pkg_temp, not the ACPI zone");
        assertEquals(List.of("NVIDIA H100 80GB HBM3 (0000:17:00.0)"), f.nvidiaGpus());
    }

    @Test
    void bigLittleClustersFromCpufreq(@TempDir Path root) throws IOException {
        // Rockchip RK3588: 4x Cortex-A55 at 1.8 GHz (cpu0-3), 4x Cortex-A76 at 2.4 GHz (cpu4-7)
        StringBuilder cpuinfo = new StringBuilder();
        for (int cpu = 0; cpu < 8; cpu++) {
            boolean big = cpu >= 4;
            cpuinfo.append("processor\t: ").append(cpu).append("\nFeatures\t: fp asimd asimddp\nCPU implementer\t: 0x41\n")
                    .append("CPU architecture: 8\nCPU part\t: ").append(big ? "0xd0b" : "0xd05").append("\n\n");
            Path freq = root.resolve("sys/devices/system/cpu/cpu" + cpu + "/cpufreq");
            Files.createDirectories(freq);
            Files.writeString(freq.resolve("cpuinfo_max_freq"), (big ? "2400000" : "1800000") + "\n");
        }
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/cpuinfo"), cpuinfo);
        DeviceFacts f = DeviceProbe.at(root).probe();
        assertEquals(List.of(new CpuCluster("Cortex-A55", 1_800_000, List.of(0, 1, 2, 3), 4),
                new CpuCluster("Cortex-A76", 2_400_000, List.of(4, 5, 6, 7), 4)), f.clusters());
        assertEquals(4, f.bigCores());
        assertEquals(8, f.physicalCores());
        assertEquals("4x Cortex-A76 + 4x Cortex-A55", f.cpuModel());
        assertNull(f.memoryTotalBytes(), "no /proc/meminfo in this tree");
        assertNull(f.cpuTemperatureC());
    }

    @Test
    void thisMachine() {
        DeviceFacts f = DeviceProbe.local().probe();
        assertTrue(f.logicalCpus() >= 1);
        assertTrue(f.bigCores() >= 1 && f.bigCores() <= f.logicalCpus(), f.toString());
        assertEquals(System.getProperty("os.name") + " " + System.getProperty("os.version"), f.os());
    }
}
