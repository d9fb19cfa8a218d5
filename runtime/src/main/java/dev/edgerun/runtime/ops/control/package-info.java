/**
 * Control flow of the native engine: If, Loop and Scan run bodies compiled once with
 * {@link dev.edgerun.runtime.ops.NodeContext#compileSubgraph} through
 * {@link dev.edgerun.runtime.ops.RunContext#runSubgraph}. Their outputs depend on data (declared
 * with unknown shapes) and are copies owned by the run.
 */
package dev.edgerun.runtime.ops.control;
