package dev.p2psuite.dht;

import com.google.protobuf.ByteString;
import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.DhtSnapshot;
import dev.p2psuite.dht.core.ValueRecord;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.InvalidRecordException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.dht.v1.DhtState;
import dev.p2psuite.proto.dht.v1.SavedProvider;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The routing table and records on disk ({@code <data dir>/dht/state.pb}, a p2p.dht.v1.DhtState), written
 * whole to a temporary file, synced and renamed, so a crash leaves either the old or the new state.
 */
final class DhtStateFile {

    private static final Logger LOG = Logger.getLogger(DhtStateFile.class);

    private final Path file;

    DhtStateFile(Path dataDir) {
        this.file = dataDir.resolve("dht").resolve("state.pb");
    }

    Path path() {
        return file;
    }

    void save(DhtSnapshot snapshot) throws IOException {
        DhtState.Builder state = DhtState.newBuilder().setTakenAtUnixMs(snapshot.takenAtUnixMs());
        for (DhtSnapshot.SavedContact c : snapshot.contacts()) {
            state.addContacts(dev.p2psuite.proto.common.v1.Contact.newBuilder()
                    .setRecord(PeerRecords.toProto(c.contact().record()))
                    .setLastSeenUnixMs(c.lastSeenUnixMs()));
        }
        snapshot.values().forEach(v -> state.addValues(DhtWire.toProto(v)));
        snapshot.published().forEach(v -> state.addPublished(DhtWire.toProto(v)));
        for (DhtSnapshot.SavedProvider p : snapshot.providers()) {
            state.addProviders(SavedProvider.newBuilder()
                    .setKey(ByteString.copyFrom(p.key().bytes()))
                    .setProvider(PeerRecords.toProto(p.provider().record()))
                    .setExpiresAtUnixMs(p.expiresAtUnixMs()));
        }
        snapshot.providing().forEach(k -> state.addProviding(ByteString.copyFrom(k.bytes())));

        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(state.build().toByteString().asReadOnlyByteBuffer());
            out.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The saved state with every record verified again; entries that fail are dropped and logged. */
    Optional<DhtSnapshot> load() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        DhtState state;
        try (InputStream in = Files.newInputStream(file)) {
            state = DhtState.parseFrom(in);
        } catch (IOException e) {
            LOG.warnf("ignoring unreadable DHT state %s (%s); starting empty", file, e.getMessage());
            return Optional.empty();
        }
        int dropped = 0;
        List<DhtSnapshot.SavedContact> contacts = new ArrayList<>();
        for (dev.p2psuite.proto.common.v1.Contact c : state.getContactsList()) {
            Contact contact = verifiedContact(c.getRecord());
            if (contact == null) {
                dropped++;
            } else {
                contacts.add(new DhtSnapshot.SavedContact(contact, c.getLastSeenUnixMs()));
            }
        }
        List<ValueRecord> values = new ArrayList<>();
        List<ValueRecord> published = new ArrayList<>();
        dropped += verifiedValues(state.getValuesList(), values) + verifiedValues(state.getPublishedList(), published);
        List<DhtSnapshot.SavedProvider> providers = new ArrayList<>();
        for (SavedProvider p : state.getProvidersList()) {
            Contact provider = verifiedContact(p.getProvider());
            if (provider == null || p.getKey().size() != NodeId.LENGTH_BYTES) {
                dropped++;
            } else {
                providers.add(new DhtSnapshot.SavedProvider(NodeId.of(p.getKey().toByteArray()), provider,
                        p.getExpiresAtUnixMs()));
            }
        }
        List<NodeId> providing = new ArrayList<>();
        for (ByteString k : state.getProvidingList()) {
            if (k.size() == NodeId.LENGTH_BYTES) {
                providing.add(NodeId.of(k.toByteArray()));
            }
        }
        if (dropped > 0) {
            LOG.warnf("dropped %d entries of %s that no longer verify", dropped, file);
        }
        return Optional.of(new DhtSnapshot(state.getTakenAtUnixMs(), contacts, values, providers, published, providing));
    }

    private static Contact verifiedContact(dev.p2psuite.proto.common.v1.SignedPeerRecord proto) {
        try {
            SignedPeerRecord record = PeerRecords.fromProto(proto, "contact");
            record.verify();
            return Contact.of(record);
        } catch (IllegalArgumentException | InvalidRecordException e) {
            return null;
        }
    }

    private static int verifiedValues(List<dev.p2psuite.proto.dht.v1.ValueRecord> protos, List<ValueRecord> into) {
        int dropped = 0;
        for (dev.p2psuite.proto.dht.v1.ValueRecord v : protos) {
            try {
                into.add(DhtWire.fromProto(v, "value"));
            } catch (IllegalArgumentException e) {
                dropped++;
            }
        }
        return dropped; // signatures: DhtNode.restore verifies every value again
    }
}
