/**
 * ONNX Runtime execution providers: the catalogue ({@link dev.edgerun.devices.providers.ExecutionProvider}),
 * whether the loaded build has each ({@link dev.edgerun.devices.providers.ProviderStatus}), the walk
 * over a device preference list under the strict or fallback policy
 * ({@link dev.edgerun.devices.providers.DeviceSelector}), and the edge defaults (threads from the
 * probe, a stable native library folder).
 *
 * <pre>{@code
 * SessionOptions o = SessionOptions.builder().engine("onnxruntime")
 *         .devices("cuda", "cpu")                         // a list: fall back to the cpu
 *         .providerOption("cuda.gpu_mem_limit", "2147483648")
 *         .build();
 * try (Session s = Edgerun.session(model, o)) {
 *     System.out.println(s.description());                // "... on cpu (fallback: cuda unavailable) ..."
 * }
 * }</pre>
 */
package dev.edgerun.devices.providers;
