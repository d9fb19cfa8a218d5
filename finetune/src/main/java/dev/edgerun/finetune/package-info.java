/** Edgerun finetune (see the module map in README.md). */
package dev.edgerun.finetune;
