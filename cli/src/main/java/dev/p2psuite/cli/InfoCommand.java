package dev.p2psuite.cli;

import dev.p2psuite.proto.gateway.v1.NodeInfoRequest;
import dev.p2psuite.proto.gateway.v1.NodeInfoResponse;
import dev.p2psuite.proto.gateway.v1.ServiceStatus;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code p2p info}: NodeInfo. */
@Command(name = "info", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = "Show the node: ID, version, readiness of its four services, reachability, routing table "
                + "size, connected peers, addresses.")
final class InfoCommand extends NodeCommand {

    @Override
    int run(Gateway gateway) {
        NodeInfoResponse info = gateway.unary().nodeInfo(NodeInfoRequest.getDefaultInstance());
        if (json()) {
            printJson(Json.of(info));
            return ExitCodes.OK;
        }
        PrintWriter out = out();
        long now = env().clock().millis();
        out.printf("node id        %s%n", info.getNodeId());
        out.printf("gateway        %s%n", gateway.target().describe());
        out.printf("version        %s%n", info.getVersion().isEmpty() ? "-" : info.getVersion());
        out.printf("ready          %s%n", info.getReady() ? "yes" : "no");
        out.printf("started        %s (up %s)%n", Human.time(info.getStartedUnixMs()),
                info.getStartedUnixMs() > 0 ? Human.seconds(Math.max(0, now - info.getStartedUnixMs()) / 1000.0) : "-");
        out.printf("reachability   %s%n", Human.enumName(info.getReachability(), "REACHABILITY_"));
        out.printf("routing table  %d contact%s%n", info.getRoutingTableSize(), info.getRoutingTableSize() == 1 ? "" : "s");
        out.printf("peers          %d connected%n", info.getConnectedPeers());
        out.printf("addresses      %s%n", info.hasRecord() ? Human.addresses(info.getRecord()) : "-");
        out.println("services");
        for (ServiceStatus s : info.getServicesList()) {
            out.println(String.format("  %-16s %-13s %-21s %s", s.getName(), Human.enumName(s.getState(), "SERVICE_STATE_"),
                    s.getAddress().isEmpty() ? "-" : s.getAddress(), s.getDetail()).stripTrailing());
        }
        out.flush();
        return ExitCodes.OK;
    }
}
