/**
 * Small, complete programs to copy from; each is one commented file and each has a test that runs it.
 *
 * <ul>
 *   <li>{@link dev.edgerun.examples.ImageClassifier}: top-k labels for images with any ONNX or Keras classifier;</li>
 *   <li>{@link dev.edgerun.examples.KeywordSpotter}: streaming keyword spotting over a WAV file or the
 *       microphone, with smoothing, threshold, refractory period, stateful models and VAD gating;</li>
 *   <li>{@link dev.edgerun.examples.FineTuneOnDevice}: few-shot fine-tuning from Java;</li>
 *   <li>{@link dev.edgerun.examples.Gateway}: an HTTP service answering labels for uploads.</li>
 * </ul>
 *
 * <pre>{@code
 * try (ImageClassifier c = new ImageClassifier(Path.of("model.onnx"), null, SessionOptions.defaults(), Map.of())) {
 *     ImageClassifier.Result r = c.classify(Path.of("photo.jpg"), 5);
 *     System.out.println(r.top().getFirst().label() + " in " + r.millis() + " ms");
 * }
 * }</pre>
 *
 * Run one with {@code examples/run NAME [options]} from the repository root (see README.md, "Examples").
 */
package dev.edgerun.examples;
