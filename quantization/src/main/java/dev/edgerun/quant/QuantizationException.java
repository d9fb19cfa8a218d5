package dev.edgerun.quant;

import dev.edgerun.runtime.EdgerunException;

/** A model or data folder the quantizer cannot work with; the message names what and why. */
public class QuantizationException extends EdgerunException {
    public QuantizationException(String message) {
        super(message);
    }

    public QuantizationException(String message, Throwable cause) {
        super(message, cause);
    }
}
