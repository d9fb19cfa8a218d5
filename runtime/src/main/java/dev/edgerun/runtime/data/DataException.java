package dev.edgerun.runtime.data;

import dev.edgerun.runtime.EdgerunException;

/** A data folder or sample file that cannot be used; the message names the file and what was expected. */
public class DataException extends EdgerunException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
