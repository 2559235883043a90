package dev.p2psuite.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;

/**
 * --json output: one JSON object per command on one line. Responses are written in the proto3 JSON mapping
 * (lowerCamelCase names, every field present, 64-bit integers as strings, bytes as base64, enums by name);
 * fields the CLI adds (file, seconds, bytesPerSecond, ...) are plain JSON numbers and strings.
 */
final class Json {

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
            .omittingInsignificantWhitespace()
            .alwaysPrintFieldsWithNoPresence();
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private Json() {
    }

    static JsonObject of(MessageOrBuilder message) {
        try {
            return JsonParser.parseString(PRINTER.print(message)).getAsJsonObject();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot write " + message.getClass().getSimpleName() + " as JSON", e);
        }
    }

    static String write(JsonObject object) {
        return GSON.toJson(object);
    }
}
