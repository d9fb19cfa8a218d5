package dev.edgerun.runtime;

/** A request would exceed a configured limit: names the limit and the request. */
public class ResourceLimitException extends EdgerunException {
    public ResourceLimitException(String message) {
        super(message);
    }
}
