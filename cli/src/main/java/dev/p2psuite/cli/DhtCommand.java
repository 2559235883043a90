package dev.p2psuite.cli;

import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import dev.p2psuite.proto.gateway.v1.DhtKey;
import dev.p2psuite.proto.gateway.v1.GetValueRequest;
import dev.p2psuite.proto.gateway.v1.GetValueResponse;
import dev.p2psuite.proto.gateway.v1.PutValueRequest;
import dev.p2psuite.proto.gateway.v1.PutValueResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code p2p dht put|get}: PutValue and GetValue. */
@Command(name = "dht", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {"Store and read signed values in the DHT.",
            "KEY is a name (the DHT key is SHA-1 of its UTF-8 bytes) unless --raw-hex: then it is the 20-byte key as 40 "
                + "hex characters."},
        subcommands = {DhtCommand.Put.class, DhtCommand.Get.class})
final class DhtCommand implements Callable<Integer> {

    /** Largest value the DHT stores (node_api.proto). */
    static final int MAX_VALUE_BYTES = 65_536;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: put or get");
    }

    static DhtKey key(String key, boolean rawHex) {
        if (!rawHex) {
            if (key.isEmpty()) {
                throw new IllegalArgumentException("KEY must not be empty");
            }
            return DhtKey.newBuilder().setName(key).build();
        }
        String hex = key.trim().toLowerCase(Locale.ROOT);
        if (hex.length() != 40 || !hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new IllegalArgumentException("with --raw-hex, KEY must be 40 hex characters (20 bytes), got '" + key + "'");
        }
        return DhtKey.newBuilder().setRaw(ByteString.copyFrom(HexFormat.of().parseHex(hex))).build();
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*([smhd]?)");

    /** 90, 90s, 10m, 24h, 2d: seconds. */
    static int ttlSeconds(String text) {
        Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("--ttl must be seconds or a number with s, m, h or d (e.g. 3600, 90m, 24h), got '"
                    + text + "'");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--ttl is too large: '" + text + "'");
        }
        long seconds = switch (m.group(2)) {
            case "m" -> n * 60;
            case "h" -> n * 3600;
            case "d" -> n * 86_400;
            default -> n;
        };
        if (seconds > Integer.MAX_VALUE || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--ttl is too large: '" + text + "'");
        }
        return (int) seconds;
    }

    /** The value as text if it is valid UTF-8, else null. */
    static String utf8(ByteString value) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    @Command(name = "put", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
            description = "Store VALUE under KEY, signed by the node, on the k = 20 nodes closest to the key; the node "
                    + "republishes it until it expires.")
    static final class Put extends NodeCommand {

        @Parameters(index = "0", paramLabel = "KEY", description = "A name, or 40 hex characters with --raw-hex.")
        String key;

        @Parameters(index = "1", paramLabel = "VALUE", description = "The value as text (UTF-8), 0..65,536 bytes; - reads it from stdin.")
        String value;

        @Option(names = "--ttl", paramLabel = "DURATION", order = 1,
                description = "Lifetime: seconds, or with s/m/h/d (e.g. 90m, 24h); at most 48h. Default: the node's (24h).")
        String ttl;

        @Option(names = "--raw-hex", order = 2, description = "KEY is the raw 20-byte DHT key in hex, not a name.")
        boolean rawHex;

        private PutValueRequest request;

        @Override
        void validate() throws IOException {
            PutValueRequest.Builder b = PutValueRequest.newBuilder();
            try {
                b.setKey(key(key, rawHex));
                if (ttl != null) {
                    b.setTtlSeconds(ttlSeconds(ttl));
                }
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            ByteString bytes;
            if ("-".equals(value)) {
                bytes = ByteString.copyFrom(env().stdin().readNBytes(MAX_VALUE_BYTES + 1));
            } else {
                bytes = ByteString.copyFromUtf8(value);
            }
            if (bytes.size() > MAX_VALUE_BYTES) {
                throw usage("VALUE must be at most " + MAX_VALUE_BYTES + " bytes, got " + (bytes.size() > MAX_VALUE_BYTES
                        && "-".equals(value) ? "more" : bytes.size()));
            }
            request = b.setValue(bytes).build();
        }

        @Override
        int run(Gateway gateway) {
            PutValueResponse response = gateway.unary().putValue(request);
            String keyHex = Human.hex(response.getKey());
            if (json()) {
                JsonObject object = Json.of(response);
                object.addProperty("keyHex", keyHex);
                printJson(object);
                return ExitCodes.OK;
            }
            String what = rawHex ? "key " + keyHex : "'" + key + "' (key " + keyHex + ")";
            out().printf("stored %s, seq %d, on %d node%s; expires %s%n", what, response.getSeq(),
                    response.getStoredCount(), response.getStoredCount() == 1 ? "" : "s",
                    Human.time(response.getExpiresAtUnixMs()));
            out().flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
            description = "Read the value under KEY (the newest version the DHT holds; its signature verified by the "
                    + "node) and print it: as text if it is UTF-8, else as hex (--json gives base64 and the publisher).")
    static final class Get extends NodeCommand {

        @Parameters(index = "0", paramLabel = "KEY", description = "A name, or 40 hex characters with --raw-hex.")
        String key;

        @Option(names = "--raw-hex", order = 1, description = "KEY is the raw 20-byte DHT key in hex, not a name.")
        boolean rawHex;

        private DhtKey dhtKey;

        @Override
        void validate() {
            try {
                dhtKey = key(key, rawHex);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }

        @Override
        int run(Gateway gateway) {
            GetValueResponse response = gateway.unary().getValue(GetValueRequest.newBuilder().setKey(dhtKey).build());
            String text = utf8(response.getValue());
            if (json()) {
                JsonObject object = Json.of(response);
                object.addProperty("keyHex", Human.hex(response.getKey()));
                object.addProperty("valueUtf8", text);
                printJson(object);
                return ExitCodes.OK;
            }
            if (text != null) {
                out().println(text);
            } else {
                out().println(Human.hex(response.getValue()));
                if (!quiet()) {
                    err().println("(the value is binary, " + response.getValue().size()
                            + " bytes, shown as hex; --json gives it as base64)");
                }
            }
            out().flush();
            return ExitCodes.OK;
        }
    }
}
