package dev.p2psuite.gateway;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.grpc.StatusRuntimeException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * JSON bodies of the HTTP API: every answer is the gRPC answer of the same call in the proto3 JSON mapping
 * (field names in lowerCamelCase, bytes as base64, 64-bit integers as strings, default values included), and
 * every failure of an in-process NodeApi call becomes {@link HttpErrors} with the same code and message.
 */
public final class HttpJson {

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().alwaysPrintFieldsWithNoPresence()
            .omittingInsignificantWhitespace();

    /** 200 with the message as JSON. */
    static Response ok(MessageOrBuilder message) {
        return Response.ok(json(message), MediaType.APPLICATION_JSON).build();
    }

    static String json(MessageOrBuilder message) {
        try {
            return PRINTER.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a NodeApi answer could not be written as JSON", e);
        }
    }

    /** A failed NodeApi call, answered as its status (the in-process call keeps the service's message). */
    @ServerExceptionMapper
    public Response grpcFailure(StatusRuntimeException e) {
        return HttpErrors.of(e.getStatus());
    }
}
