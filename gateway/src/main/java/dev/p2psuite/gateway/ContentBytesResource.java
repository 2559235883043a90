package dev.p2psuite.gateway;

import dev.p2psuite.proto.common.v1.ByteRange;
import dev.p2psuite.proto.common.v1.ContentMetadata;
import dev.p2psuite.proto.gateway.v1.ContentInfo;
import dev.p2psuite.proto.gateway.v1.GetContentRequest;
import dev.p2psuite.proto.gateway.v1.GetContentResponse;
import dev.p2psuite.proto.gateway.v1.StatRequest;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Iterator;

/**
 * {@code GET /content/{id}}: the content's bytes for browsers, curl and download managers (one byte range per
 * request, Content-Length, ETag = the ID, the publisher's media type). Runs through {@link LocalNodeApi}: a
 * content not held here is downloaded from providers and verified, as over gRPC.
 */
@Path(ContentBytesResource.PATH + "/{id}")
@Blocking
public class ContentBytesResource {

    /** Where the bytes are served. */
    static final String PATH = "/content";
    /** Served when the publisher gave no media type (node_api.proto ContentMetadata.media_type). */
    static final String UNKNOWN_MEDIA_TYPE = MediaType.APPLICATION_OCTET_STREAM;
    /** A content ID names immutable bytes: caches may keep them for a year (RFC 9111 §5.2.2.1, RFC 8246). */
    static final String CACHE_CONTROL = "public, max-age=31536000, immutable";

    private final LocalNodeApi api;

    ContentBytesResource(LocalNodeApi api) {
        this.api = api;
    }

    /**
     * The content's bytes, downloaded from providers first if this node does not hold them (the response starts
     * once the first bytes are verified). One byte range per request (206); several ranges get the whole content.
     */
    @GET
    public Response bytes(@PathParam("id") String id, @HeaderParam("Range") String range,
                          @HeaderParam("If-Range") String ifRange, @HeaderParam("If-None-Match") String ifNoneMatch) {
        return answer(id, range, ifRange, ifNoneMatch, true);
    }

    /** The headers {@link #bytes} would send, without downloading anything. */
    @HEAD
    public Response head(@PathParam("id") String id, @HeaderParam("Range") String range,
                         @HeaderParam("If-Range") String ifRange, @HeaderParam("If-None-Match") String ifNoneMatch) {
        return answer(id, range, ifRange, ifNoneMatch, false);
    }

    private Response answer(String id, String rangeHeader, String ifRange, String ifNoneMatch, boolean withBody) {
        ContentInfo content = api.call().stat(StatRequest.newBuilder().setContentId(id).build()).getContent();
        String etag = "\"" + content.getContentId() + "\"";
        if (ifNoneMatch != null && (ifNoneMatch.trim().equals("*") || ifNoneMatch.contains(etag))) {
            return Response.notModified().tag(content.getContentId()).header(HttpHeaders.CACHE_CONTROL, CACHE_CONTROL)
                    .build();
        }
        long size = content.getSizeBytes();
        // If-Range (RFC 9110 §13.1.5): the range only applies while the representation is the one named.
        HttpRange range = HttpRange.of(ifRange == null || ifRange.trim().equals(etag) ? rangeHeader : null, size);
        if (range.kind() == HttpRange.Kind.UNSATISFIABLE) {
            return Response.status(416).header("Content-Range", range.contentRange(size))
                    .type(MediaType.APPLICATION_JSON).entity(new HttpErrors.Body("OUT_OF_RANGE",
                            "Range " + rangeHeader.trim() + " selects no byte of content " + id + " (" + size
                                    + " bytes)")).build();
        }
        String mediaType = content.getMetadata().getMediaType();
        Response.ResponseBuilder response = Response
                .status(range.kind() == HttpRange.Kind.PARTIAL ? 206 : 200)
                .type(mediaType.isEmpty() ? UNKNOWN_MEDIA_TYPE : mediaType)
                .header(HttpHeaders.CONTENT_LENGTH, range.length())
                .header(HttpHeaders.ETAG, etag)
                .header(HttpHeaders.CACHE_CONTROL, CACHE_CONTROL)
                .header("Accept-Ranges", "bytes");
        if (range.kind() == HttpRange.Kind.PARTIAL) {
            response.header("Content-Range", range.contentRange(size));
        }
        if (!content.getMetadata().getName().isEmpty()) {
            response.header("Content-Disposition", contentDisposition(content.getMetadata().getName()));
        }
        if (withBody && range.length() > 0) {
            GetContentRequest request = GetContentRequest.newBuilder().setContentId(content.getContentId())
                    .setRange(ByteRange.newBuilder().setOffset(range.offset()).setLength(range.length())).build();
            response.entity((StreamingOutput) out -> stream(request, out));
        }
        return response.build();
    }

    /**
     * Writes the content's chunks as GetContent streams them (one message requested at a time, so a slow HTTP
     * client slows the download). A failure after the headers cannot change the status: the response is cut
     * short, which the client sees as fewer bytes than Content-Length.
     */
    private void stream(GetContentRequest request, OutputStream out) throws IOException {
        Context.CancellableContext call = Context.current().withCancellation();
        try {
            call.call(() -> {
                Iterator<GetContentResponse> responses = api.blocking().getContent(request);
                while (responses.hasNext()) {
                    GetContentResponse response = responses.next();
                    if (response.hasChunk()) {
                        response.getChunk().getData().writeTo(out);
                    }
                }
                return null;
            });
        } catch (IOException | StatusRuntimeException e) {
            throw e instanceof IOException io ? io : new IOException("content " + request.getContentId()
                    + " could not be served: " + ((StatusRuntimeException) e).getStatus(), e);
        } catch (Exception e) {
            throw new IOException(e);
        } finally {
            call.cancel(null); // the client went away (a write failed): stop the download's stream
        }
    }

    /** {@code inline; filename*=UTF-8''...} (RFC 6266 §4.3 with RFC 8187 encoding), so any name is safe. */
    static String contentDisposition(String name) {
        StringBuilder encoded = new StringBuilder();
        for (byte b : name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$&+-.^_`|~".indexOf(c) >= 0) {
                encoded.append((char) c);
            } else {
                encoded.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return "inline; filename*=UTF-8''" + encoded;
    }
}
