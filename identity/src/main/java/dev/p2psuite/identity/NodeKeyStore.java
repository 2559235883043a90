package dev.p2psuite.identity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * Keeps the node key in {@code <dataDir>/identity/node.key}.
 *
 * <p>File format (UTF-8 text, version tagged so it can evolve):
 * <pre>
 * p2p-ed25519-v1
 * &lt;standard base64 of the raw 32-byte Ed25519 private key&gt;
 * </pre>
 * A trailing newline and CRLF line ends are accepted; nothing else is.
 *
 * <p>The node's four services may start together against one data dir, so create-or-load runs under an exclusive
 * lock on {@code identity/.lock} (plus a JVM-wide monitor, since a JVM may hold only one lock per file), and a new
 * key is written to a temp file, fsynced and atomically renamed into place: every process sees either no key or
 * the complete key, never a half-written one. An existing file is never replaced: a corrupt key would otherwise
 * silently change the node's identity.
 */
public final class NodeKeyStore {

    public static final String DIRECTORY = "identity";
    public static final String KEY_FILE = "node.key";
    public static final String LOCK_FILE = ".lock";
    public static final String FORMAT_HEADER = "p2p-ed25519-v1";

    /** A well-formed file is about 60 bytes; refuse to read anything large into memory. */
    private static final int MAX_FILE_BYTES = 4096;
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Object JVM_LOCK = new Object();

    private NodeKeyStore() {
    }

    /** Where the key of the node with {@code dataDir} lives. */
    public static Path keyFile(Path dataDir) {
        return dataDir.resolve(DIRECTORY).resolve(KEY_FILE);
    }

    /**
     * Loads the node key, creating and storing a new one on first start.
     *
     * @throws IllegalStateException if the key file exists but cannot be read or is corrupt, or the directory
     *                               cannot be created or written; the message names the path and the problem
     */
    public static NodeKey loadOrCreate(Path dataDir, SecureRandom random) {
        Path dir = dataDir.resolve(DIRECTORY);
        Path keyFile = dir.resolve(KEY_FILE);
        synchronized (JVM_LOCK) {
            createDirectory(dir);
            Path lockFile = dir.resolve(LOCK_FILE);
            try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lockChannel.lock()) {
                // NOFOLLOW: a dangling symlink is an existing, broken key, not a reason to create one.
                if (Files.exists(keyFile, LinkOption.NOFOLLOW_LINKS)) {
                    return read(keyFile);
                }
                NodeKey key = NodeKey.generate(random);
                write(dir, keyFile, key);
                return key;
            } catch (IOException e) {
                throw new IllegalStateException("cannot lock " + lockFile + " to load or create the node key: " + e, e);
            }
        }
    }

    private static void createDirectory(Path dir) {
        try {
            if (supportsPosix(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
            } else {
                Files.createDirectories(dir);
            }
        } catch (FileAlreadyExistsException e) {
            throw new IllegalStateException("cannot create key directory " + dir + ": a non-directory file is in the way", e);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create key directory " + dir + ": " + e, e);
        }
    }

    private static boolean supportsPosix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    static NodeKey read(Path keyFile) {
        byte[] raw;
        try {
            if (!Files.isRegularFile(keyFile)) {
                throw corrupt(keyFile, "it is not a regular file");
            }
            long size = Files.size(keyFile);
            if (size > MAX_FILE_BYTES) {
                throw corrupt(keyFile, "it is " + size + " bytes, a key file is under 100");
            }
            raw = Files.readAllBytes(keyFile);
        } catch (AccessDeniedException e) {
            throw new IllegalStateException("cannot read node key file " + keyFile
                    + ": permission denied (it must be readable by the user running the node)", e);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read node key file " + keyFile + ": " + e, e);
        }
        try {
            return parse(keyFile, raw);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    private static NodeKey parse(Path keyFile, byte[] raw) {
        if (raw.length == 0) {
            throw corrupt(keyFile, "it is empty");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw corrupt(keyFile, "it is not UTF-8 text");
        }
        List<String> lines = text.replace("\r\n", "\n").lines().toList();
        if (!lines.get(0).equals(FORMAT_HEADER)) {
            throw corrupt(keyFile, "the first line is not '" + FORMAT_HEADER + "'");
        }
        if (lines.size() != 2) {
            throw corrupt(keyFile, "expected 2 lines (header and base64 private key), found " + lines.size());
        }
        byte[] privateKey;
        try {
            privateKey = Base64.getDecoder().decode(lines.get(1).strip());
        } catch (IllegalArgumentException e) {
            throw corrupt(keyFile, "the second line is not valid base64");
        }
        try {
            if (privateKey.length != NodeKey.PRIVATE_KEY_BYTES) {
                throw corrupt(keyFile, "the private key is " + privateKey.length + " bytes, expected "
                        + NodeKey.PRIVATE_KEY_BYTES);
            }
            return NodeKey.fromPrivateKey(privateKey);
        } finally {
            Arrays.fill(privateKey, (byte) 0);
        }
    }

    private static IllegalStateException corrupt(Path keyFile, String problem) {
        return new IllegalStateException("node key file " + keyFile + " is corrupt: " + problem
                + ". It was left untouched; restore it from a backup, or delete it to give this node a new identity");
    }

    private static void write(Path dir, Path keyFile, NodeKey key) {
        Path temp = dir.resolve(KEY_FILE + ".tmp");
        byte[] privateKey = key.privateKeyBytes();
        byte[] content = (FORMAT_HEADER + "\n" + Base64.getEncoder().encodeToString(privateKey) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        try {
            // A leftover temp file is from a crash during an earlier creation; we hold the lock, so it is ours.
            Files.deleteIfExists(temp);
            FileAttribute<?>[] attrs = supportsPosix(dir)
                    ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE)}
                    : new FileAttribute<?>[0];
            try (FileChannel out = FileChannel.open(temp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attrs)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
                out.force(true);
            }
            restrictToOwner(temp);
            Files.move(temp, keyFile, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(dir);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IllegalStateException("cannot write new node key to " + keyFile + ": " + e, e);
        } finally {
            Arrays.fill(privateKey, (byte) 0);
            Arrays.fill(content, (byte) 0);
        }
    }

    /** The create mode is already 0600; this also covers mounts that ignore it. Best effort: FAT and friends refuse chmod. */
    private static void restrictToOwner(Path file) {
        if (!supportsPosix(file)) {
            return;
        }
        try {
            Files.setPosixFilePermissions(file, OWNER_ONLY_FILE);
        } catch (IOException | UnsupportedOperationException ignored) {
            // The filesystem has no POSIX permissions to set.
        }
    }

    /** Makes the rename durable; best effort because not every platform can open a directory. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Windows and some filesystems cannot fsync a directory; the rename itself is still atomic.
        }
    }
}
