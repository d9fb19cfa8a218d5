/** Edgerun examples (see the module map in README.md). */
package dev.edgerun.examples;
