package dev.edgerun.runtime;

/** An input handed to {@code Session.run} does not match the model: names expected vs given. */
public class InvalidInputException extends EdgerunException {
    public InvalidInputException(String message) {
        super(message);
    }
}
