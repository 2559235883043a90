package dev.p2psuite.gateway;

import dev.p2psuite.proto.gateway.v1.SearchRequest;
import dev.p2psuite.proto.gateway.v1.SearchResponse;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /api/v1/search}: the flooded search of the client API ({@code NodeApi/Search}) over HTTP, answered
 * as one JSON object once the search ends (at {@code max_hits} or {@code timeout_ms}).
 */
@Path("/api/v1/search")
@Produces(MediaType.APPLICATION_JSON)
public class SearchResource {

    /** Time the gateway allows a search beyond its own timeout (the last hits travelling back). */
    static final long DEADLINE_MARGIN_MS = 5_000;
    /** The search's own longest timeout (node_api.proto SearchRequest.timeout_ms). */
    static final int MAX_TIMEOUT_MS = 30_000;

    private final LocalNodeApi api;

    SearchResource(LocalNodeApi api) {
        this.api = api;
    }

    /**
     * @param q          terms separated by spaces, 1..8 of 1..64 bytes each (every term must match a word of the
     *                   name, a tag or the media type)
     * @param ttl        hops, 1..7 (default 4)
     * @param maxHits    stop after this many hits, 1..1,000 (default 100)
     * @param timeoutMs  stop after this long, 1..30,000 ms (default 5,000)
     * @return {@code {"hits": [SearchHit...]}}, each hit in the proto3 JSON mapping of node_api.proto SearchHit
     */
    @GET
    @Blocking
    public Response search(@QueryParam("q") String q, @QueryParam("ttl") String ttl,
                           @QueryParam("max_hits") String maxHits, @QueryParam("timeout_ms") String timeoutMs) {
        List<String> terms = q == null ? List.of()
                : Arrays.stream(q.trim().split("\\s+")).filter(t -> !t.isEmpty()).toList();
        if (terms.isEmpty()) {
            return HttpErrors.invalid("q is required: 1..8 search terms separated by spaces, e.g. ?q=holiday+video");
        }
        SearchRequest.Builder request = SearchRequest.newBuilder().addAllTerms(terms);
        try {
            request.setTtl(HttpErrors.uint("ttl", ttl)).setMaxHits(HttpErrors.uint("max_hits", maxHits))
                    .setTimeoutMs(HttpErrors.uint("timeout_ms", timeoutMs));
        } catch (IllegalArgumentException e) {
            return HttpErrors.invalid(e.getMessage());
        }
        long deadlineMs = Math.min(request.getTimeoutMs() == 0 ? 5_000 : request.getTimeoutMs(), MAX_TIMEOUT_MS)
                + DEADLINE_MARGIN_MS;
        StringBuilder body = new StringBuilder("{\"hits\":[");
        Iterator<SearchResponse> stream = api.blocking().withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                .search(request.build());
        for (int n = 0; stream.hasNext(); n++) {
            body.append(n == 0 ? "" : ",").append(HttpJson.json(stream.next().getHit()));
        }
        return Response.ok(body.append("]}").toString(), MediaType.APPLICATION_JSON).build();
    }
}
