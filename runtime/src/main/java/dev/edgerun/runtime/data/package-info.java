/**
 * Data folders and the one preprocessing component every verb that reads many samples shares
 * (DESIGN.md, "Data folders"): {@link dev.edgerun.runtime.data.DataFolder} reads class subfolders,
 * {@code images.npy}/{@code inputs.npy} + {@code labels.npy} pairs and ONNX test folders;
 * {@link dev.edgerun.runtime.data.Preprocessing} holds the options (size, layout, scale, mean/std,
 * sample rate, audio front end) with defaults from the model's input shape and its
 * {@code edgerun.preprocess.*} metadata; {@link dev.edgerun.runtime.data.ImageInput} and
 * {@link dev.edgerun.runtime.data.AudioInput} turn files into samples;
 * {@link dev.edgerun.runtime.data.Augmentation} makes changed copies for training.
 *
 * <pre>{@code
 * Preprocessing p = Preprocessing.forInput(model.graph().requiredInputs().get(0), model.metadata())
 *         .with("mean", "0.485,0.456,0.406").with("std", "0.229,0.224,0.225");
 * DataFolder.Samples s = DataFolder.read(Path.of("photos"),
 *         new DataFolder.Options(p, false, TensorProtos::read, System.err::println));
 * // s.data(): (s.count(), p.sampleShape()...) floats; s.labels() index s.classes()
 * }</pre>
 */
package dev.edgerun.runtime.data;
