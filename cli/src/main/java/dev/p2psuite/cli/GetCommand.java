package dev.p2psuite.cli;

import com.google.gson.JsonObject;
import dev.p2psuite.proto.common.v1.ByteRange;
import dev.p2psuite.proto.gateway.v1.ContentInfo;
import dev.p2psuite.proto.gateway.v1.GetContentHeader;
import dev.p2psuite.proto.gateway.v1.GetContentRequest;
import dev.p2psuite.proto.gateway.v1.GetContentResponse;
import dev.p2psuite.proto.gateway.v1.Progress;
import io.grpc.Context;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Iterator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code p2p get ID -o FILE}: GetContent (server streaming, with progress) into a temporary file next to FILE,
 * renamed to FILE only once every byte announced by the header arrived in order.
 */
@Command(name = "get", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Fetch a content by ID, all of it or a byte range: from the node if it holds it, else the node downloads it "
                + "from providers found in the DHT, verifying every piece.",
            "Writes a temporary file next to FILE and renames it to FILE only when complete: a failed or interrupted "
                + "get never leaves a partial FILE. A summary line and, on a terminal, a progress bar (bytes, rate, "
                + "peers) go to stderr."})
final class GetCommand extends NodeCommand {

    private static final SecureRandom RANDOM = new SecureRandom();

    @Parameters(index = "0", paramLabel = "ID", description = "Content ID (b + base32, as put prints it).")
    String id;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, order = 1,
            description = "Where to write the content; - for stdout (no temporary file, not with --json).")
    String output;

    @Option(names = "--range", paramLabel = "A-B", order = 2,
            description = "Only bytes A to B, inclusive, counted from 0 (as HTTP Range); A- for A to the end.")
    String range;

    private ByteRange byteRange;
    private Path target;

    @Override
    void validate() {
        if (range != null) {
            try {
                byteRange = ByteRanges.parse(range);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        }
        if (id.isBlank()) {
            throw usage("ID must not be empty");
        }
        if ("-".equals(output)) {
            if (json()) {
                throw usage("-o - (content on stdout) cannot be combined with --json");
            }
            return;
        }
        target = Path.of(output).toAbsolutePath().normalize();
        if (Files.isDirectory(target)) {
            throw usage("-o " + output + " is a directory; give a file name");
        }
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw usage("-o " + output + ": directory " + dir + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw usage("-o " + output + ": directory " + dir + " is not writable");
        }
    }

    @Override
    int run(Gateway gateway) throws Exception {
        GetContentRequest.Builder request = GetContentRequest.newBuilder().setContentId(id.trim()).setProgress(true);
        if (byteRange != null) {
            request.setRange(byteRange);
        }
        long t0 = env().nanoTime().getAsLong();
        Download download;
        if (target == null) {
            download = new Download(env().stdout());
            try {
                download.run(gateway, request.build());
            } finally {
                download.bar.finish();
                env().stdout().flush();
            }
        } else {
            download = toFile(gateway, request.build());
        }
        double seconds = (env().nanoTime().getAsLong() - t0) / 1e9;
        ContentInfo content = download.header.getContent();
        long length = download.header.getLength();
        if (json()) {
            JsonObject object = new JsonObject();
            object.add("content", Json.of(content));
            object.addProperty("file", target.toString());
            object.addProperty("offset", download.header.getOffset());
            object.addProperty("length", length);
            object.addProperty("bytesWritten", download.written);
            object.addProperty("seconds", seconds);
            object.addProperty("bytesPerSecond", Math.round(Human.perSecond(length, seconds)));
            object.addProperty("heldBefore", content.getComplete());
            object.addProperty("peers", download.maxPeers);
            if (download.lastProgress != null) {
                object.add("progress", Json.of(download.lastProgress));
            }
            printJson(object);
        }
        StringBuilder line = new StringBuilder("get: ").append(Human.bytes(length));
        if (byteRange != null) {
            line.append(" (bytes ").append(download.header.getOffset()).append('-')
                    .append(download.header.getOffset() + length - 1).append(" of ")
                    .append(Human.thousands(content.getSizeBytes())).append(')');
        }
        line.append(" to ").append(target == null ? "stdout" : output).append(" in ").append(Human.seconds(seconds))
                .append(" (").append(Human.rate(Human.perSecond(length, seconds))).append("), ")
                .append(content.getPieceCount()).append(content.getPieceCount() == 1 ? " piece" : " pieces");
        if (content.getComplete()) {
            line.append(" already on ").append(gateway.target().shortName());
        } else {
            line.append(" fetched by ").append(gateway.target().shortName()).append(" from ")
                    .append(download.maxPeers).append(download.maxPeers == 1 ? " peer" : " peers");
        }
        summary(line.toString());
        return ExitCodes.OK;
    }

    private Download toFile(Gateway gateway, GetContentRequest request) throws Exception {
        Path dir = target.getParent();
        Path partial = dir.resolve("." + target.getFileName() + ".p2p-"
                + HexFormat.of().formatHex(randomBytes()) + ".part");
        Thread cleanup = new Thread(() -> deleteQuietly(partial), "p2p-get-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        boolean done = false;
        try (FileOutputStream out = new FileOutputStream(Files.createFile(partial).toFile())) {
            Download download = new Download(out);
            try {
                download.run(gateway, request);
            } finally {
                download.bar.finish();
            }
            out.flush();
            out.getFD().sync();
            out.close();
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
            return download;
        } finally {
            if (!done) {
                deleteQuietly(partial);
            }
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return b;
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // best effort: a leftover .part file is hidden and never under the target name
        }
    }

    /** One GetContent stream: header first, then progress and chunks; chunks must be contiguous and exactly cover the header's range. */
    final class Download {

        private final OutputStream sink;
        GetContentHeader header;
        ProgressBar bar = progressBar("get", 0);
        long written;
        int maxPeers;
        Progress lastProgress;

        Download(OutputStream sink) {
            this.sink = sink;
        }

        void run(Gateway gateway, GetContentRequest request) throws Exception {
            Context.CancellableContext context = Context.current().withCancellation();
            try {
                Iterator<GetContentResponse> stream = context.call(() -> gateway.transferBlocking().getContent(request));
                long next = 0;
                while (stream.hasNext()) {
                    GetContentResponse message = stream.next();
                    switch (message.getPayloadCase()) {
                        case HEADER -> {
                            if (header != null) {
                                throw protocol("a second header");
                            }
                            header = message.getHeader();
                            next = header.getOffset();
                            bar = progressBar("get", header.getLength());
                        }
                        case PROGRESS -> {
                            requireHeader("progress");
                            lastProgress = message.getProgress();
                            maxPeers = Math.max(maxPeers, lastProgress.getPeers());
                            bar.downloaded(lastProgress.getBytesDone(), lastProgress.getBytesTotal(), lastProgress.getPeers(),
                                    lastProgress.getPiecesDone(), lastProgress.getPiecesTotal());
                        }
                        case CHUNK -> {
                            requireHeader("data");
                            var chunk = message.getChunk();
                            if (chunk.getOffset() != next) {
                                throw protocol("data at byte " + chunk.getOffset() + " where byte " + next + " was due");
                            }
                            long size = chunk.getData().size();
                            if (written + size > header.getLength()) {
                                throw protocol("more than the " + header.getLength() + " bytes its header announced");
                            }
                            chunk.getData().writeTo(sink);
                            written += size;
                            next += size;
                            bar.update(written);
                        }
                        default -> {
                            // a payload newer than this CLI: nothing to do with it
                        }
                    }
                }
                if (header == null) {
                    throw protocol("no header");
                }
                if (written != header.getLength()) {
                    throw new CliException(ExitCodes.FAILURE, "LENGTH_MISMATCH", "the node ended the stream after "
                            + written + " of the " + header.getLength() + " bytes its header announced; nothing was "
                            + "saved, retry to resume (pieces already fetched are kept by the node)");
                }
            } catch (Exception e) {
                context.cancel(e);
                throw e;
            } finally {
                context.close();
            }
        }

        private void requireHeader(String what) {
            if (header == null) {
                throw protocol(what + " before the header");
            }
        }

        private CliException protocol(String what) {
            return new CliException(ExitCodes.FAILURE, "PROTOCOL", "the node sent " + what
                    + " in GetContent; nothing was saved");
        }
    }
}
