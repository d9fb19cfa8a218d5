package dev.edgerun.runtime;

/** A model file (or stream) is malformed: the message names the file and where in it. */
public class ModelFormatException extends EdgerunException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
