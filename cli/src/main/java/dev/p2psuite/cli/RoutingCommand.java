package dev.p2psuite.cli;

import dev.p2psuite.proto.gateway.v1.PeerInfo;
import dev.p2psuite.proto.gateway.v1.RoutingBucket;
import dev.p2psuite.proto.gateway.v1.RoutingTableRequest;
import dev.p2psuite.proto.gateway.v1.RoutingTableResponse;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code p2p routing}: RoutingTable. */
@Command(name = "routing", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = "Show the node's DHT routing table: its non-empty k-buckets and their contacts.")
final class RoutingCommand extends NodeCommand {

    @Override
    int run(Gateway gateway) {
        RoutingTableResponse table = gateway.unary().routingTable(RoutingTableRequest.getDefaultInstance());
        if (json()) {
            printJson(Json.of(table));
            return ExitCodes.OK;
        }
        PrintWriter out = out();
        long now = env().clock().millis();
        out.printf("self      %s%n", table.getSelfNodeId());
        out.printf("contacts  %d in %d bucket%s%n", table.getSize(), table.getBucketsCount(),
                table.getBucketsCount() == 1 ? "" : "s");
        for (RoutingBucket b : table.getBucketsList()) {
            out.printf("bucket %d: %d contact%s, %d replacement%s, refreshed %s%n", b.getIndex(), b.getContactsCount(),
                    b.getContactsCount() == 1 ? "" : "s", b.getReplacementCount(), b.getReplacementCount() == 1 ? "" : "s",
                    Human.ago(b.getLastRefreshedUnixMs(), now));
            for (PeerInfo p : b.getContactsList()) {
                out.printf("  %s  %-21s  last seen %s%n", p.getNodeId(), Human.addresses(p.getRecord()),
                        Human.ago(p.getLastSeenUnixMs(), now));
            }
        }
        out.flush();
        return ExitCodes.OK;
    }
}
