package dev.p2psuite.grpc;

import com.google.protobuf.ByteString;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.PeerRecord;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.common.v1.CandidateKind;
import java.util.ArrayList;
import java.util.List;

/**
 * Maps signed peer records between the wire ({@code p2p.common.v1.SignedPeerRecord}) and the identity core.
 * Mapping checks shape only; {@link SignedPeerRecord#verify()} (or a record book) checks the signature.
 */
public final class PeerRecords {

    private PeerRecords() {
    }

    public static dev.p2psuite.proto.common.v1.SignedPeerRecord toProto(SignedPeerRecord signed) {
        PeerRecord r = signed.record();
        dev.p2psuite.proto.common.v1.PeerRecord.Builder record = dev.p2psuite.proto.common.v1.PeerRecord.newBuilder()
                .setNodeId(ByteString.copyFrom(r.nodeId().bytes()))
                .setPublicKey(ByteString.copyFrom(r.publicKey()))
                .setSeq(r.seq());
        for (Candidate c : r.candidates()) {
            record.addCandidates(toProto(c));
        }
        return dev.p2psuite.proto.common.v1.SignedPeerRecord.newBuilder()
                .setRecord(record)
                .setSignature(ByteString.copyFrom(signed.signature()))
                .build();
    }

    public static dev.p2psuite.proto.common.v1.Candidate toProto(Candidate c) {
        dev.p2psuite.proto.common.v1.Candidate.Builder candidate = dev.p2psuite.proto.common.v1.Candidate.newBuilder()
                .setKindValue(c.kind().code())
                .setHost(c.host())
                .setPort(c.port());
        if (c.relay() != null) {
            candidate.setRelayNodeId(ByteString.copyFrom(c.relay().bytes()));
        }
        return candidate.build();
    }

    /** The record's direct (host and server-reflexive) candidates in its order, at most {@code max}. */
    public static List<Candidate> directCandidates(SignedPeerRecord record, int max) {
        List<Candidate> out = new ArrayList<>();
        for (Candidate c : record.record().candidates()) {
            if (c.kind() != Candidate.Kind.RELAYED && out.size() < max) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * @param field where the record sits in the request, for the error message (e.g. {@code "caller"})
     * @throws IllegalArgumentException naming the malformed field; adapters answer it with INVALID_ARGUMENT
     */
    public static SignedPeerRecord fromProto(dev.p2psuite.proto.common.v1.SignedPeerRecord proto, String field) {
        if (!proto.hasRecord()) {
            throw new IllegalArgumentException(field + ": signed peer record has no record");
        }
        dev.p2psuite.proto.common.v1.PeerRecord r = proto.getRecord();
        NodeId id = nodeId(r.getNodeId(), field + ".record.node_id");
        List<Candidate> candidates = new ArrayList<>(r.getCandidatesCount());
        for (int i = 0; i < r.getCandidatesCount(); i++) {
            dev.p2psuite.proto.common.v1.Candidate c = r.getCandidates(i);
            String where = field + ".record.candidates[" + i + "]";
            if (c.getKind() == CandidateKind.CANDIDATE_KIND_UNSPECIFIED || c.getKind() == CandidateKind.UNRECOGNIZED) {
                throw new IllegalArgumentException(where + ".kind must be HOST, SERVER_REFLEXIVE or RELAYED");
            }
            NodeId relay = c.getRelayNodeId().isEmpty() ? null : nodeId(c.getRelayNodeId(), where + ".relay_node_id");
            try {
                candidates.add(new Candidate(Candidate.Kind.fromCode(c.getKindValue()), c.getHost(), c.getPort(), relay));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        try {
            return new SignedPeerRecord(
                    new PeerRecord(id, r.getPublicKey().toByteArray(), r.getSeq(), candidates),
                    proto.getSignature().toByteArray());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
        }
    }

    /** A 20-byte node ID field; the message names the field and the length found. */
    public static NodeId nodeId(ByteString bytes, String field) {
        if (bytes.size() != NodeId.LENGTH_BYTES) {
            throw new IllegalArgumentException(field + " must be " + NodeId.LENGTH_BYTES + " bytes, got " + bytes.size());
        }
        return NodeId.of(bytes.toByteArray());
    }
}
