package dev.p2psuite.cli;

import com.google.protobuf.ByteString;
import dev.p2psuite.proto.common.v1.ContentMetadata;
import dev.p2psuite.proto.gateway.v1.ContentInfo;
import dev.p2psuite.proto.gateway.v1.StatRequest;
import dev.p2psuite.proto.gateway.v1.StatResponse;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code p2p stat ID [--manifest]}: Stat. */
@Command(name = "stat", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "Describe a content: name, type, tags, size, pieces and how many of them the node holds; from "
                + "the node, or from a provider's manifest if the node does not hold it.")
final class StatCommand extends NodeCommand {

    @Parameters(index = "0", paramLabel = "ID", description = "Content ID.")
    String id;

    @Option(names = "--manifest", order = 1, description = "Also list every piece's SHA-256 (the full manifest).")
    boolean manifest;

    @Override
    int run(Gateway gateway) {
        StatResponse response = gateway.unary().stat(StatRequest.newBuilder().setContentId(id.trim())
                .setIncludeManifest(manifest).build());
        if (json()) {
            printJson(Json.of(response));
            return ExitCodes.OK;
        }
        ContentInfo c = response.getContent();
        PrintWriter out = out();
        String node = gateway.target().node() > 0 ? "node " + gateway.target().node() : "the node";
        printContent(out, c, env().clock().millis());
        if (response.getLocal()) {
            out.printf("held         %d of %d pieces on %s%s, since %s%n", c.getPiecesHeld(), c.getPieceCount(), node,
                    c.getComplete() ? " (complete)" : "", Human.time(c.getAddedUnixMs()));
        } else {
            out.printf("held         not on %s (manifest from a provider)%n", node);
        }
        if (manifest) {
            List<ByteString> hashes = response.getManifest().getPieceHashesList();
            out.printf("manifest     %d piece hash%s (SHA-256), piece size %s%n", hashes.size(),
                    hashes.size() == 1 ? "" : "es", Human.bytes(response.getManifest().getPieceSize()));
            int width = Integer.toString(Math.max(0, hashes.size() - 1)).length();
            for (int i = 0; i < hashes.size(); i++) {
                out.printf("  %" + width + "d  %s%n", i, Human.hex(hashes.get(i)));
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    static void printContent(PrintWriter out, ContentInfo c, long nowMs) {
        ContentMetadata m = c.getMetadata();
        out.printf("id           %s%n", c.getContentId());
        out.printf("name         %s%n", m.getName().isEmpty() ? "-" : m.getName());
        out.printf("media type   %s%n", m.getMediaType().isEmpty() ? "-" : m.getMediaType());
        out.printf("tags         %s%n", m.getTagsCount() == 0 ? "-" : String.join(", ", m.getTagsList()));
        out.printf("size         %s (%s bytes)%n", Human.bytes(c.getSizeBytes()), Human.thousands(c.getSizeBytes()));
        out.printf("pieces       %d of %s%n", c.getPieceCount(), Human.bytes(c.getPieceSize()));
    }
}
