package dev.p2psuite.cli;

import com.google.gson.JsonObject;
import com.google.protobuf.UnsafeByteOperations;
import dev.p2psuite.proto.common.v1.ContentMetadata;
import dev.p2psuite.proto.gateway.v1.ContentInfo;
import dev.p2psuite.proto.gateway.v1.PutContentRequest;
import dev.p2psuite.proto.gateway.v1.PutContentResponse;
import dev.p2psuite.proto.gateway.v1.PutContentStart;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code p2p put FILE}: streams a file to the node (PutContent) in 262,144-byte chunks, with flow control. */
@Command(name = "put", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Publish a file: stream it to the node, which stores it, announces itself as a provider in the DHT and "
                + "answers with the content ID.",
            "Prints the content ID on stdout (a summary line and, on a terminal, a progress bar on stderr)."})
final class PutCommand extends NodeCommand {

    /** Bytes per PutContent chunk: one piece (the recommended size, README "Limits"). */
    static final int CHUNK_BYTES = 262_144;

    @Parameters(index = "0", paramLabel = "FILE", description = "The file to publish (read in chunks, never whole).")
    Path file;

    @Option(names = "--name", paramLabel = "NAME", order = 1,
            description = "Display name (<= 255 bytes). Default: the file's name.")
    String name;

    @Option(names = "--type", paramLabel = "MEDIA_TYPE", order = 2,
            description = "Media type, e.g. video/mp4 (<= 127 bytes). Default: guessed from the file name, else none.")
    String mediaType;

    @Option(names = "--tag", paramLabel = "TAG", split = ",", order = 3,
            description = "A tag (repeat or separate with commas; <= 16 of <= 64 bytes).")
    List<String> tags = new ArrayList<>();

    private long size;

    @Override
    void validate() {
        if (!Files.exists(file)) {
            throw usage("FILE " + file + " does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw usage("FILE " + file + " is not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw usage("FILE " + file + " is not readable");
        }
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw usage("cannot read FILE " + file + ": " + e.getMessage());
        }
    }

    ContentMetadata metadata() {
        String fileName = file.getFileName() == null ? "" : file.getFileName().toString();
        String type = mediaType;
        if (type == null) {
            type = URLConnection.guessContentTypeFromName(fileName);
        }
        return ContentMetadata.newBuilder()
                .setName(name != null ? name : fileName)
                .setMediaType(type == null ? "" : type)
                .addAllTags(tags.stream().map(String::trim).filter(t -> !t.isEmpty()).toList())
                .build();
    }

    @Override
    int run(Gateway gateway) throws Exception {
        long t0 = env().nanoTime().getAsLong();
        ProgressBar bar = progressBar("put", size);
        Upload upload = new Upload();
        gateway.transferAsync().putContent(upload);
        PutContentResponse response;
        try {
            response = upload.send(file, size, metadata(), bar);
        } finally {
            bar.finish();
        }
        double seconds = (env().nanoTime().getAsLong() - t0) / 1e9;
        ContentInfo content = response.getContent();
        if (json()) {
            JsonObject object = Json.of(response);
            object.addProperty("file", file.toString());
            object.addProperty("seconds", seconds);
            object.addProperty("bytesPerSecond", Math.round(Human.perSecond(size, seconds)));
            printJson(object);
        } else {
            out().println(content.getContentId());
            out().flush();
        }
        String stored = response.getAlreadyPresent() ? "already on " : "stored on ";
        summary("put " + file.getFileName() + ": " + Human.bytes(content.getSizeBytes()) + " in "
                + content.getPieceCount() + (content.getPieceCount() == 1 ? " piece" : " pieces") + ", "
                + Human.seconds(seconds) + " (" + Human.rate(Human.perSecond(size, seconds)) + "); " + stored
                + gateway.target().shortName() + ", announced to " + response.getProvidersAnnounced()
                + (response.getProvidersAnnounced() == 1 ? " DHT node" : " DHT nodes"));
        return ExitCodes.OK;
    }

    /**
     * One PutContent call: the first message carries the metadata and expected size, then the file follows in
     * chunks, each sent only when the transport is ready for more (isReady / onReadyHandler), so at most a
     * window's worth of the file is ever in memory.
     */
    static final class Upload implements ClientResponseObserver<PutContentRequest, PutContentResponse> {

        private final Object ready = new Object();
        private final CompletableFuture<PutContentResponse> result = new CompletableFuture<>();
        private volatile ClientCallStreamObserver<PutContentRequest> requests;
        private volatile PutContentResponse response;

        @Override
        public void beforeStart(ClientCallStreamObserver<PutContentRequest> requestStream) {
            this.requests = requestStream;
            requestStream.setOnReadyHandler(this::wake);
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
            if (response == null) {
                result.completeExceptionally(new CliException(ExitCodes.FAILURE, "PROTOCOL",
                        "the node closed PutContent without an answer"));
            } else {
                result.complete(response);
            }
            wake();
        }

        private void wake() {
            synchronized (ready) {
                ready.notifyAll();
            }
        }

        private void awaitReady() throws InterruptedException {
            synchronized (ready) {
                while (!requests.isReady() && !result.isDone()) {
                    ready.wait(200);
                }
            }
        }

        PutContentResponse send(Path file, long size, ContentMetadata metadata, ProgressBar bar) throws Exception {
            requests.onNext(PutContentRequest.newBuilder().setStart(PutContentStart.newBuilder()
                    .setMetadata(metadata).setExpectedSizeBytes(size)).build());
            long sent = 0;
            try (InputStream in = Files.newInputStream(file)) {
                while (!result.isDone()) {
                    byte[] chunk = new byte[CHUNK_BYTES]; // handed to gRPC without a copy: a fresh array each time
                    int n = in.readNBytes(chunk, 0, CHUNK_BYTES);
                    if (n == 0) {
                        break;
                    }
                    awaitReady();
                    if (result.isDone()) {
                        break;
                    }
                    requests.onNext(PutContentRequest.newBuilder()
                            .setChunk(UnsafeByteOperations.unsafeWrap(chunk, 0, n)).build());
                    sent += n;
                    bar.update(sent);
                }
            } catch (IOException | RuntimeException | InterruptedException e) {
                requests.cancel("the client could not read the file", e);
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw e;
            }
            if (!result.isDone()) {
                if (sent != size) {
                    requests.cancel("the file changed size while it was read", null);
                    throw new CliException(ExitCodes.FAILURE, "IO_ERROR", file + " changed while it was read: "
                            + size + " bytes when the put started, " + sent + " read; nothing was stored");
                }
                requests.onCompleted();
            }
            try {
                return result.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }
    }
}
