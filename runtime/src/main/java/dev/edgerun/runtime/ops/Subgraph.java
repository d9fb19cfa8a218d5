package dev.edgerun.runtime.ops;

import dev.edgerun.runtime.ir.Graph;

/** A compiled If/Loop/Scan body: see {@link NodeContext#compileSubgraph} and {@link RunContext#runSubgraph}. */
public interface Subgraph {
    Graph graph();
}
