package dev.p2psuite.cli;

import dev.p2psuite.proto.gateway.v1.FindProvidersRequest;
import dev.p2psuite.proto.gateway.v1.FindProvidersResponse;
import dev.p2psuite.proto.gateway.v1.PeerInfo;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code p2p providers ID}: FindProviders. */
@Command(name = "providers", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "List the nodes that provide a content, found through the DHT: one per line, node ID and "
                + "addresses. None found is not an error.")
final class ProvidersCommand extends NodeCommand {

    @Parameters(index = "0", paramLabel = "ID", description = "Content ID.")
    String id;

    @Option(names = "--limit", paramLabel = "N", order = 1, description = "Stop after N providers (default 20, at most 100).")
    int limit;

    @Override
    void validate() {
        if (limit < 0) {
            throw usage("--limit must be 0 (default) or more, got " + limit);
        }
    }

    @Override
    int run(Gateway gateway) {
        FindProvidersResponse response = gateway.unary().findProviders(FindProvidersRequest.newBuilder()
                .setContentId(id.trim()).setLimit(limit).build());
        if (json()) {
            printJson(Json.of(response));
            return ExitCodes.OK;
        }
        PrintWriter out = out();
        for (PeerInfo p : response.getProvidersList()) {
            out.printf("%s  %s%n", p.getNodeId(), Human.addresses(p.getRecord()));
        }
        String node = gateway.target().node() > 0 ? "node " + gateway.target().node() : "the node asked";
        if (response.getSelfProvides()) {
            out.printf("(%s provides it too)%n", node);
        }
        if (response.getProvidersCount() == 0 && !response.getSelfProvides()) {
            out.println("no provider found");
        }
        out.flush();
        return ExitCodes.OK;
    }
}
