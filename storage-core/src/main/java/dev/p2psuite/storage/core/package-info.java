/**
 * The content core of p2p-suite as plain Java (no gRPC, protobuf, Quarkus or Infinispan): content IDs
 * ({@link dev.p2psuite.storage.core.ContentId}, a multihash of the canonical manifest), manifests and piece
 * verification ({@link dev.p2psuite.storage.core.Manifest}), streaming piece hashing
 * ({@link dev.p2psuite.storage.core.PieceHasher}), BEP 3 bitfields ({@link dev.p2psuite.storage.core.Bitfield}),
 * the per-download piece picker with rarest first and endgame ({@link dev.p2psuite.storage.core.PiecePicker}),
 * node-wide bad-data penalties ({@link dev.p2psuite.storage.core.PeerPenalties}), the BEP 3 tit-for-tat choker
 * ({@link dev.p2psuite.storage.core.Choker}) and a token-bucket rate limiter
 * ({@link dev.p2psuite.storage.core.RateLimiter}). Time and randomness are always injected; storage-service adapts
 * these classes to gRPC and Infinispan.
 */
package dev.p2psuite.storage.core;
