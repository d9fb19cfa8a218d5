package dev.edgerun.finetune;

import dev.edgerun.runtime.EdgerunException;

/** Fine-tuning cannot go on: the model, the cut, the data or a checkpoint is unusable (the message says which and why). */
public class FinetuneException extends EdgerunException {
    public FinetuneException(String message) {
        super(message);
    }

    public FinetuneException(String message, Throwable cause) {
        super(message, cause);
    }
}
