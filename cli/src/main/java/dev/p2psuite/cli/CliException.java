package dev.p2psuite.cli;

/** A failure whose message is already written for the user; ends the CLI with its exit code, no stack trace. */
final class CliException extends RuntimeException {

    private final int exitCode;
    private final String code;

    CliException(int exitCode, String code, String message) {
        super(message);
        this.exitCode = exitCode;
        this.code = code;
    }

    CliException(int exitCode, String code, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.code = code;
    }

    int exitCode() {
        return exitCode;
    }

    /** Short machine-readable name of the failure ("NOT_FOUND", "IO_ERROR", ...), for --json. */
    String code() {
        return code;
    }
}
