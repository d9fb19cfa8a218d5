/**
 * On-device transfer learning in plain Java: cut a model at a tensor (by default the input of its
 * final classifier Gemm/MatMul, found by {@link dev.edgerun.finetune.CutPlan}), freeze what comes
 * before, compute the frozen features once on an engine ({@link dev.edgerun.finetune.Features},
 * cached on disk), train the last {@code --unfreeze K} weighted layers and a new
 * {@link dev.edgerun.finetune.Head} with the layers of {@code dev.edgerun.finetune.nn} (each backward
 * rule tested against finite differences), and export one ONNX model, backbone + head + Softmax,
 * with the class names in its metadata ({@link dev.edgerun.finetune.Labels}).
 *
 * <pre>{@code
 * TrainConfig config = TrainConfig.defaults().withEpochs(20);
 * FinetuneJob job = new FinetuneJob(Path.of("base.onnx"), Path.of("photos"), Path.of("mine.onnx"),
 *         null, Head.parse("linear"), 0, config, Map.of(), false, SessionOptions.defaults(),
 *         Path.of(".edgerun-cache"), null);
 * FinetuneJob.Result r = job.run(System.out::println, Trainer.Progress.NONE);
 * // mine.onnx, mine.report.json and mine.curves.png are written; evaluate with Evaluation.run(...)
 * }</pre>
 *
 * Training from scratch uses the same pieces: a {@link dev.edgerun.finetune.nn.Network} of new layers,
 * {@link dev.edgerun.finetune.Trainer#train}, then {@link dev.edgerun.finetune.Exporter#export}
 * ({@code edgerun demo} does this with the bundled {@link dev.edgerun.finetune.Digits}).
 */
package dev.edgerun.finetune;
