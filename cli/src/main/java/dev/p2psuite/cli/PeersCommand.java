package dev.p2psuite.cli;

import dev.p2psuite.proto.gateway.v1.PeerInfo;
import dev.p2psuite.proto.gateway.v1.PeersRequest;
import dev.p2psuite.proto.gateway.v1.PeersResponse;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code p2p peers}: Peers. */
@Command(name = "peers", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "List the peers the node has a connection with, most recently seen first: how it reaches "
                + "them, round trip, piece bytes exchanged and choke state.")
final class PeersCommand extends NodeCommand {

    @Option(names = "--limit", paramLabel = "N", order = 1, description = "At most N peers (default: all).")
    int limit;

    @Override
    void validate() {
        if (limit < 0) {
            throw usage("--limit must be 0 (all) or more, got " + limit);
        }
    }

    @Override
    int run(Gateway gateway) {
        PeersResponse response = gateway.unary().peers(PeersRequest.newBuilder().setLimit(limit).build());
        if (json()) {
            printJson(Json.of(response));
            return ExitCodes.OK;
        }
        PrintWriter out = out();
        if (response.getPeersCount() == 0) {
            out.println("no connected peers");
            out.flush();
            return ExitCodes.OK;
        }
        long now = env().clock().millis();
        String format = "%-40s  %-12s  %6s  %-10s  %10s  %10s  %-8s  %-8s  %s%n";
        out.printf(format, "NODE ID", "PATH", "RTT", "LAST SEEN", "SENT", "RECEIVED", "CHOKING", "CHOKED", "ADDRESSES");
        for (PeerInfo p : response.getPeersList()) {
            out.printf(format, p.getNodeId(), Human.enumName(p.getPath(), "CONNECTION_PATH_"),
                    p.getRttMs() == 0 ? "-" : p.getRttMs() + "ms", Human.ago(p.getLastSeenUnixMs(), now),
                    Human.bytes(p.getBytesSent()), Human.bytes(p.getBytesReceived()),
                    p.getAmChoking() ? "yes" : "no", p.getPeerChoking() ? "yes" : "no", Human.addresses(p.getRecord()));
        }
        out.flush();
        return ExitCodes.OK;
    }
}
