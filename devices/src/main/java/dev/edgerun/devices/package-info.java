/** Edgerun devices (see the module map in README.md). */
package dev.edgerun.devices;
