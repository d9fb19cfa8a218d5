package dev.edgerun.runtime;

/**
 * Root of every failure a user can cause. Unchecked; each subclass names what the user needs to
 * act on (the file, node, operator, input, expected and actual).
 */
public class EdgerunException extends RuntimeException {
    public EdgerunException(String message) {
        super(message);
    }

    public EdgerunException(String message, Throwable cause) {
        super(message, cause);
    }
}
