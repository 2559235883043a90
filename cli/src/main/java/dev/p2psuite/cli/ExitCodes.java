package dev.p2psuite.cli;

import io.grpc.Status;
import java.util.LinkedHashMap;
import java.util.Map;

/** The CLI's exit codes: stable, documented in every command's --help footer, mapped from gRPC statuses. */
public final class ExitCodes {

    /** Success. */
    public static final int OK = 0;
    /** Any other failure: other gRPC statuses (RESOURCE_EXHAUSTED, UNIMPLEMENTED, ...), a local I/O error, a failed check. */
    public static final int FAILURE = 1;
    /** Bad command line (picocli's convention): unknown option, missing or malformed argument, unreadable input file. */
    public static final int USAGE = 2;
    /** NOT_FOUND: no such content (no manifest here, no provider found) or no value under the key. */
    public static final int NOT_FOUND = 3;
    /** INVALID_ARGUMENT or OUT_OF_RANGE: the node refused the request as malformed (bad ID or key, range past the end). */
    public static final int INVALID_ARGUMENT = 4;
    /** UNAVAILABLE: the gateway cannot be reached (connection refused, no network), a service of the node is down, or no provider could serve. */
    public static final int UNAVAILABLE = 5;
    /** DEADLINE_EXCEEDED: --timeout passed before the node answered. */
    public static final int DEADLINE_EXCEEDED = 6;

    private ExitCodes() {
    }

    /** The exit code a gRPC status ends the CLI with. */
    public static int of(Status.Code code) {
        return switch (code) {
            case OK -> OK;
            case NOT_FOUND -> NOT_FOUND;
            case INVALID_ARGUMENT, OUT_OF_RANGE -> INVALID_ARGUMENT;
            case UNAVAILABLE -> UNAVAILABLE;
            case DEADLINE_EXCEEDED -> DEADLINE_EXCEEDED;
            default -> FAILURE;
        };
    }

    /** The list shown under "Exit codes:" in every --help. */
    static Map<String, String> helpList() {
        Map<String, String> list = new LinkedHashMap<>();
        list.put(OK + "", "success");
        list.put(FAILURE + "", "other error (e.g. UNIMPLEMENTED, RESOURCE_EXHAUSTED, local I/O error, "
                + "length check failed)");
        list.put(USAGE + "", "usage error: bad option or argument, unreadable FILE");
        list.put(NOT_FOUND + "", "NOT_FOUND: no such content or DHT value");
        list.put(INVALID_ARGUMENT + "", "INVALID_ARGUMENT or OUT_OF_RANGE: refused by the node as malformed");
        list.put(UNAVAILABLE + "", "UNAVAILABLE: node unreachable (connection refused), a service down, "
                + "or no provider could serve");
        list.put(DEADLINE_EXCEEDED + "", "DEADLINE_EXCEEDED: --timeout passed");
        return list;
    }
}
