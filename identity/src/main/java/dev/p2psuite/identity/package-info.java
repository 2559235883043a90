/**
 * Node identity, pure Java (no gRPC, Quarkus or Infinispan): Ed25519 node keys ({@link dev.p2psuite.identity.NodeKey},
 * stored by {@link dev.p2psuite.identity.NodeKeyStore}), 160-bit node IDs = SHA-1 of the public key
 * ({@link dev.p2psuite.identity.NodeId}), signed peer records with sequence numbers
 * ({@link dev.p2psuite.identity.SignedPeerRecord}, remembered by {@link dev.p2psuite.identity.PeerRecordBook}), and
 * the per-connection signed-challenge handshake ({@link dev.p2psuite.identity.PeerAuthenticator},
 * {@link dev.p2psuite.identity.PeerAuthClient}). Time and randomness are always passed in.
 */
package dev.p2psuite.identity;
