package dev.edgerun.runtime;

/** An engine or execution provider cannot run here: says why and what to install. */
public class EngineUnavailableException extends EdgerunException {
    public EngineUnavailableException(String message) {
        super(message);
    }

    public EngineUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
