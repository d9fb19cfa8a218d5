/**
 * Facts about the machine read from {@code /proc} and {@code /sys}: CPU model, cores, big.LITTLE
 * clusters, ISA features, memory, board, temperature, NVIDIA GPUs, OS, JVM and Vector API.
 *
 * <pre>{@code
 * DeviceFacts f = DeviceProbe.local().probe();               // this machine
 * DeviceFacts pi = DeviceProbe.at(Path.of("rpi5")).probe();  // a recorded tree (tests)
 * if (f.hasFeature("asimddp")) ...;                          // Arm dot product
 * int threads = f.bigCores();                                // physical cores of the fastest cluster
 * }</pre>
 */
package dev.edgerun.devices.probe;
