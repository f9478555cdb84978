package org.lgsr.data;

/**
 * Bad input data: a missing, corrupt or malformed file, an id out of range, an empty session.
 * The message is one line that names the file (or flag) and the problem; the command line
 * prints it without a stack trace and exits with code 2.
 */
public final class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
