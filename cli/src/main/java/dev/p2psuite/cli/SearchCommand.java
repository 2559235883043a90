package dev.p2psuite.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.p2psuite.proto.gateway.v1.SearchHit;
import dev.p2psuite.proto.gateway.v1.SearchRequest;
import dev.p2psuite.proto.gateway.v1.SearchResponse;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code p2p search TERMS...}: NodeApi Search, a flooded query; hits printed as they arrive. */
@Command(name = "search", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "Search the network by name, tag or media type (a flooded query): a content matches if every "
                + "term matches a word of its name, a tag or its media type. Prints one hit per line as it arrives: "
                + "content ID, size, hops, provider, name. No hit is not an error.")
final class SearchCommand extends NodeCommand {

    @Parameters(arity = "1..8", paramLabel = "TERM", description = "1 to 8 terms, each 1..64 bytes.")
    List<String> terms;

    @Option(names = "--ttl", paramLabel = "HOPS", order = 1, description = "Hops the query travels (default 4, at most 7).")
    int ttl;

    @Option(names = "--max-hits", paramLabel = "N", order = 2, description = "Stop after N hits (default 100, at most 1,000).")
    int maxHits;

    @Option(names = "--wait", paramLabel = "MS", order = 3, description = "Stop after MS milliseconds (default 5,000, at most 30,000).")
    int waitMs;

    @Override
    void validate() {
        if (ttl < 0 || maxHits < 0 || waitMs < 0) {
            throw usage("--ttl, --max-hits and --wait must be 0 (default) or more");
        }
    }

    @Override
    int run(Gateway gateway) {
        Iterator<SearchResponse> hits = gateway.unary().search(SearchRequest.newBuilder().addAllTerms(terms)
                .setTtl(ttl).setMaxHits(maxHits).setTimeoutMs(waitMs).build());
        PrintWriter out = out();
        JsonArray all = new JsonArray();
        int count = 0;
        while (hits.hasNext()) {
            SearchHit hit = hits.next().getHit();
            count++;
            if (json()) {
                all.add(Json.of(hit));
            } else {
                out.printf("%s  %10s  %d hop(s)  %s  %s%n", hit.getContentId(), Human.bytes(hit.getSizeBytes()),
                        hit.getHops(), hit.getProvider().getNodeId(), hit.getName());
                out.flush();
            }
        }
        if (json()) {
            JsonObject result = new JsonObject();
            result.add("hits", all);
            printJson(result);
        } else if (count == 0) {
            out.println("no hit");
            out.flush();
        }
        return ExitCodes.OK;
    }
}
