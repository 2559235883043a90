package dev.p2psuite.gateway;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.WireLimits;
import dev.p2psuite.proto.gateway.v1.DhtKey;
import dev.p2psuite.proto.gateway.v1.GetValueRequest;
import dev.p2psuite.proto.gateway.v1.NodeInfoRequest;
import dev.p2psuite.proto.gateway.v1.PeersRequest;
import dev.p2psuite.proto.gateway.v1.PutValueRequest;
import dev.p2psuite.proto.gateway.v1.RoutingTableRequest;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;

/**
 * The node and its DHT over HTTP ({@code /api/v1}): node info, peers, routing table, DHT values. Each answer is
 * the NodeApi call of the same name in JSON ({@link HttpJson}).
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class NodeResource {

    private final LocalNodeApi api;

    NodeResource(LocalNodeApi api) {
        this.api = api;
    }

    /** {@code NodeApi/NodeInfo}: identity, signed record, readiness of each service, DHT size. */
    @GET
    @Path("node")
    public Response node() {
        return HttpJson.ok(api.call().nodeInfo(NodeInfoRequest.getDefaultInstance()));
    }

    /** {@code NodeApi/Peers}: recent contacts with their transfer counters and choke state. */
    @GET
    @Path("peers")
    public Response peers(@QueryParam("limit") String limit) {
        try {
            return HttpJson.ok(api.call().peers(PeersRequest.newBuilder().setLimit(HttpErrors.uint("limit", limit)).build()));
        } catch (IllegalArgumentException e) {
            return HttpErrors.invalid(e.getMessage());
        }
    }

    /** {@code NodeApi/RoutingTable}: the k-buckets. */
    @GET
    @Path("routing-table")
    public Response routingTable() {
        return HttpJson.ok(api.call().routingTable(RoutingTableRequest.getDefaultInstance()));
    }

    /**
     * {@code NodeApi/PutValue}: stores the request body (bytes, any content type) under the key on the k closest
     * nodes.
     *
     * @param name       the key as a name (its SHA-1 is the key), or
     * @param key        the key as 40 hex digits
     * @param ttlSeconds lifetime; absent or 0 = the DHT's default
     */
    @PUT
    @Path("dht/values")
    @Consumes(MediaType.WILDCARD)
    public Response putValue(@QueryParam("name") String name, @QueryParam("key") String key,
                             @QueryParam("ttl_seconds") String ttlSeconds, InputStream body) throws IOException {
        PutValueRequest.Builder request = PutValueRequest.newBuilder();
        try {
            request.setKey(dhtKey(name, key)).setTtlSeconds(HttpErrors.uint("ttl_seconds", ttlSeconds));
        } catch (IllegalArgumentException e) {
            return HttpErrors.invalid(e.getMessage());
        }
        // A value is small (the DHT refuses more than its record limit with a precise message); one byte beyond
        // the largest gRPC message is enough to be refused without reading an endless body.
        byte[] value = body.readNBytes(WireLimits.MAX_MESSAGE_BYTES + 1);
        return HttpJson.ok(api.call().putValue(request.setValue(ByteString.copyFrom(value)).build()));
    }

    /** {@code NodeApi/GetValue}: the newest value under the key ({@code value} in base64). */
    @GET
    @Path("dht/values")
    public Response getValue(@QueryParam("name") String name, @QueryParam("key") String key) {
        DhtKey dhtKey;
        try {
            dhtKey = dhtKey(name, key);
        } catch (IllegalArgumentException e) {
            return HttpErrors.invalid(e.getMessage());
        }
        return HttpJson.ok(api.call().getValue(GetValueRequest.newBuilder().setKey(dhtKey).build()));
    }

    private static DhtKey dhtKey(String name, String key) {
        if ((name == null) == (key == null)) {
            throw new IllegalArgumentException("give the key as exactly one of ?name=TEXT (its SHA-1 is the key) "
                    + "or ?key=40 hex digits");
        }
        if (name != null) {
            return DhtKey.newBuilder().setName(name).build();
        }
        try {
            return DhtKey.newBuilder().setRaw(ByteString.copyFrom(HexFormat.of().parseHex(key))).build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key must be 40 hex digits (a 160-bit DHT key), got '" + key + "'");
        }
    }
}
