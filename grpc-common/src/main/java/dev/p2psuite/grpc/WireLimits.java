package dev.p2psuite.grpc;

/** Limits every gRPC server and client of a node applies; documented in README ("Limits"). */
public final class WireLimits {

    /** Bytes in one piece of content (DESIGN.md: 256 KiB, as BitTorrent's common piece size). */
    public static final int PIECE_SIZE = 262_144;

    /**
     * Largest serialized gRPC message, in bytes, accepted by servers and clients: a full piece plus its
     * envelope must fit with room to spare (the unified Quarkus server defaults to 256 KB, which a piece
     * overflows). Must equal {@code quarkus.grpc.server.max-inbound-message-size} in each service.
     */
    public static final int MAX_MESSAGE_BYTES = 1_048_576;

    /** HTTP/2 flow-control window of internal channels: bulk piece streams stall on the 64 KiB default. */
    public static final int FLOW_CONTROL_WINDOW_BYTES = 16 * 1_048_576;

    /**
     * Bytes a bulk stream (pieces, content chunks) may have queued in its transport and still be "ready": gRPC's
     * default of 32 KiB makes a 256 KiB message unready until it is on the socket, so a sender (or a relay) moves one
     * piece at a time with a thread hop between them; two pieces keep the pipe full and the queue bounded.
     */
    public static final int BULK_ON_READY_THRESHOLD_BYTES = 2 * PIECE_SIZE;

    private WireLimits() {
    }
}
