/**
 * The {@code edgerun} command: one picocli class per verb ({@code demo}, {@code inspect},
 * {@code run}, {@code check}, {@code bench}, {@code devices}, {@code convert}) under
 * {@link dev.edgerun.cli.Main}, and the assembly of the runnable jar {@code cli/target/edgerun.jar}
 * (every module's {@code META-INF/services} merged, so all engines and importers are found).
 *
 * <pre>{@code
 * ./edgerun inspect model.onnx
 * ./edgerun run model.onnx --input input=x.npy --output-dir out/
 * ./edgerun check --engine onnxruntime ../shared/models/*\/
 * ./edgerun bench --compare model.onnx --json
 * }</pre>
 *
 * <p>Every verb takes {@code --json} (one document on standard output, keys listed in README.md),
 * {@code --engine}, {@code --device}, {@code --threads}. Exit status: 0 success, 1 a failed check,
 * 2 a usage or input error (one line on standard error), 3 an internal error.
 */
package dev.edgerun.cli;
