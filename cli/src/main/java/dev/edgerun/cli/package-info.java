/** Edgerun cli (see the module map in README.md). */
package dev.edgerun.cli;
