/** Edgerun quantization (see the module map in README.md). */
package dev.edgerun.quant;
