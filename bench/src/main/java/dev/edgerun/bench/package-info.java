/** Edgerun bench (see the module map in README.md). */
package dev.edgerun.bench;
