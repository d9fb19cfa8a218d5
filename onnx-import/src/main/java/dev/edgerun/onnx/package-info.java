/** Edgerun onnx-import (see the module map in README.md). */
package dev.edgerun.onnx;
