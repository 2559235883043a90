package dev.p2psuite.gateway;

import com.google.protobuf.UnsafeByteOperations;
import dev.p2psuite.proto.common.v1.ContentMetadata;
import dev.p2psuite.proto.gateway.v1.DeleteContentRequest;
import dev.p2psuite.proto.gateway.v1.FindProvidersRequest;
import dev.p2psuite.proto.gateway.v1.ListContentRequest;
import dev.p2psuite.proto.gateway.v1.PutContentRequest;
import dev.p2psuite.proto.gateway.v1.PutContentResponse;
import dev.p2psuite.proto.gateway.v1.PutContentStart;
import dev.p2psuite.proto.gateway.v1.StatRequest;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * {@code /api/v1/content}: the JSON mirror of the NodeApi content calls (put, list, stat, delete, providers),
 * run through {@link LocalNodeApi}, so validation and errors are the gRPC API's own. The bytes themselves are
 * served by {@link ContentBytesResource}.
 */
@Path("/api/v1/content")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class ContentResource {

    /** Bytes per PutContent chunk: one piece, the size the node stores (README "Limits"). */
    static final int PUT_CHUNK_BYTES = 262_144;

    private final LocalNodeApi api;

    ContentResource(LocalNodeApi api) {
        this.api = api;
    }

    // ---- the JSON mirror ----------------------------------------------------------------------------------------

    /**
     * {@code NodeApi/PutContent}: the request body is the content, streamed to storage one piece at a time (never
     * held whole). 201 with {@code Location: /content/{id}}, or 200 if the node already had it.
     *
     * @param name  display name (<= 255 bytes)
     * @param type  media type; default: the request's Content-Type unless it is curl's default
     *              (application/x-www-form-urlencoded) or application/octet-stream (= unknown)
     * @param tags  tags, repeat {@code tag=} (<= 16 of <= 64 bytes)
     */
    @POST
    @Consumes(MediaType.WILDCARD)
    public Response put(InputStream body, @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
                        @HeaderParam(HttpHeaders.CONTENT_LENGTH) String contentLength,
                        @QueryParam("name") String name, @QueryParam("type") String type,
                        @QueryParam("tag") List<String> tags) throws Exception {
        String mediaType = type != null ? type : contentType == null ? "" : contentType.trim();
        if (type == null && (mediaType.startsWith(MediaType.APPLICATION_FORM_URLENCODED)
                || mediaType.startsWith(MediaType.APPLICATION_OCTET_STREAM))) {
            mediaType = "";
        }
        long expected = 0;
        if (contentLength != null) {
            try {
                expected = Long.parseLong(contentLength.trim());
            } catch (NumberFormatException e) {
                return HttpErrors.invalid("Content-Length must be a number of bytes, got '" + contentLength + "'");
            }
        }
        PutContentStart start = PutContentStart.newBuilder().setExpectedSizeBytes(expected)
                .setMetadata(ContentMetadata.newBuilder().setName(name == null ? "" : name).setMediaType(mediaType)
                        .addAllTags(tags == null ? List.of() : tags))
                .build();
        Upload upload = new Upload();
        api.async().putContent(upload);
        PutContentResponse put = upload.send(start, body);
        String id = put.getContent().getContentId();
        return Response.status(put.getAlreadyPresent() ? 200 : 201).location(URI.create(ContentBytesResource.PATH + "/" + id))
                .entity(HttpJson.json(put)).type(MediaType.APPLICATION_JSON).build();
    }

    /** {@code NodeApi/ListContent}: contents with a manifest here, by ID, paged. */
    @GET
    public Response list(@QueryParam("page_size") String pageSize, @QueryParam("page_token") String pageToken) {
        ListContentRequest.Builder request = ListContentRequest.newBuilder()
                .setPageToken(pageToken == null ? "" : pageToken);
        try {
            request.setPageSize(HttpErrors.uint("page_size", pageSize));
        } catch (IllegalArgumentException e) {
            return HttpErrors.invalid(e.getMessage());
        }
        return HttpJson.ok(api.call().listContent(request.build()));
    }

    /** {@code NodeApi/Stat}: size, pieces, metadata; the manifest too with {@code ?manifest=true}. */
    @GET
    @Path("{id}")
    public Response stat(@PathParam("id") String id, @QueryParam("manifest") boolean manifest) {
        return HttpJson.ok(api.call().stat(StatRequest.newBuilder().setContentId(id).setIncludeManifest(manifest).build()));
    }

    /** {@code NodeApi/DeleteContent}: forgets the content here and stops providing it. */
    @DELETE
    @Path("{id}")
    public Response delete(@PathParam("id") String id) {
        return HttpJson.ok(api.call().deleteContent(DeleteContentRequest.newBuilder().setContentId(id).build()));
    }

    /** {@code NodeApi/FindProviders}: nodes that announced the content in the DHT. */
    @GET
    @Path("{id}/providers")
    public Response providers(@PathParam("id") String id, @QueryParam("limit") String limit) {
        FindProvidersRequest.Builder request = FindProvidersRequest.newBuilder().setContentId(id);
        try {
            request.setLimit(HttpErrors.uint("limit", limit));
        } catch (IllegalArgumentException e) {
            return HttpErrors.invalid(e.getMessage());
        }
        return HttpJson.ok(api.call().findProviders(request.build()));
    }

    /**
     * One in-process PutContent: the start message, then the body in piece-sized chunks, each sent only when the
     * call is ready for more (isReady / onReady), so at most a few chunks of the body are in memory.
     */
    private static final class Upload implements ClientResponseObserver<PutContentRequest, PutContentResponse> {

        private final CompletableFuture<PutContentResponse> result = new CompletableFuture<>();
        private volatile ClientCallStreamObserver<PutContentRequest> requests;
        private volatile PutContentResponse response;

        @Override
        public void beforeStart(ClientCallStreamObserver<PutContentRequest> stream) {
            requests = stream;
            stream.setOnReadyHandler(this::wake);
        }

        @Override
        public void onNext(PutContentResponse value) {
            response = value;
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
            wake();
        }

        @Override
        public void onCompleted() {
            result.complete(response);
            wake();
        }

        private synchronized void wake() {
            notifyAll();
        }

        private synchronized void awaitReady() throws InterruptedException {
            while (!requests.isReady() && !result.isDone()) {
                wait(200);
            }
        }

        PutContentResponse send(PutContentStart start, InputStream body) throws Exception {
            requests.onNext(PutContentRequest.newBuilder().setStart(start).build());
            try {
                while (!result.isDone()) {
                    byte[] chunk = new byte[PUT_CHUNK_BYTES]; // handed over without a copy: a fresh array each time
                    int n = body.readNBytes(chunk, 0, PUT_CHUNK_BYTES);
                    if (n == 0) {
                        requests.onCompleted();
                        break;
                    }
                    awaitReady();
                    if (!result.isDone()) {
                        requests.onNext(PutContentRequest.newBuilder()
                                .setChunk(UnsafeByteOperations.unsafeWrap(chunk, 0, n)).build());
                    }
                }
            } catch (IOException | RuntimeException | InterruptedException e) {
                requests.cancel("the HTTP request body could not be read", e);
                throw e instanceof IOException io ? new UncheckedIOException(io) : e;
            }
            try {
                return result.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }
    }
}
