/**
 * Measured tuning: {@link dev.edgerun.devices.tune.Tuner} times a model on every engine x device x
 * thread count (x int8 variant) here, {@link dev.edgerun.devices.tune.ProfileStore} keeps the result
 * per model content, and {@link dev.edgerun.devices.tune.AutoOptions} hands the fastest choice back.
 *
 * <pre>{@code
 * Optional<AutoOptions> auto = AutoOptions.forModel(Path.of("kws.onnx")); // written by 'edgerun tune'
 * Path file = auto.map(AutoOptions::modelFile).orElse(Path.of("kws.onnx"));
 * SessionOptions o = auto.map(AutoOptions::options).orElseGet(SessionOptions::defaults);
 * try (Model m = Edgerun.load(file); Session s = Edgerun.session(m, o)) { ... }
 * }</pre>
 */
package dev.edgerun.devices.tune;
