package dev.p2psuite.storage;

import dev.p2psuite.storage.core.Sha256;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.security.Provider;
import java.security.Security;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.jboss.logging.Logger;

/**
 * SHA-256 from the system's NSS library ({@code libsoftokn3}, Debian's {@code libnss3}, RHEL/UBI's {@code nss})
 * through the JDK's own SunPKCS11 provider, without a certificate database.
 *
 * <p>Why: the JDK's SHA-256 is fast only as an intrinsic of the C2 compiler (1.2–1.7 GB/s here; 0.13–0.15 GB/s in
 * C1-compiled code), and C2 compiling a storage-service's Netty, gRPC and Infinispan paths took a quarter of all CPU
 * in a transfer on 2 cores. NSS hashes at ~1.7 GB/s whatever the JIT, so the service can run C1 only, as the gateway
 * does. The provider is asked for SHA-256 only ({@code dev.p2psuite.storage.core.Sha256}); it is registered last in the
 * JVM's provider list, so no other algorithm changes.
 */
final class NativeSha256 {

    /** Where distributions put {@code libsoftokn3.so}: Debian/Ubuntu (amd64, arm64), RHEL/UBI, others. */
    static final List<Path> NSS_LIBRARY_DIRS = List.of(Path.of("/usr/lib/x86_64-linux-gnu"),
            Path.of("/usr/lib/aarch64-linux-gnu"), Path.of("/usr/lib64"), Path.of("/usr/lib"));
    static final String NSS_SOFTOKEN = "libsoftokn3.so";
    /** SunPKCS11's name for the provider configured with {@code name=NSS}. */
    static final String PROVIDER_NAME = "SunPKCS11-NSS";

    private static final Logger LOG = Logger.getLogger(NativeSha256.class);

    private NativeSha256() {
    }

    /**
     * Chooses the process's SHA-256 as configured ({@code p2p.storage.sha256}) and logs which it is.
     *
     * @throws IllegalStateException if NSS is required but missing or broken: the service does not start
     */
    static void install(StorageConfig.Sha256 mode, Optional<Path> configuredDir) {
        if (mode == StorageConfig.Sha256.JDK) {
            Sha256.use(null);
            LOG.infof("SHA-256: the JDK's (%s), as configured", Sha256.implementation());
            return;
        }
        Optional<Path> dir = configuredDir.isPresent()
                ? configuredDir.filter(d -> Files.isRegularFile(d.resolve(NSS_SOFTOKEN)))
                : findNss(NSS_LIBRARY_DIRS);
        if (dir.isEmpty()) {
            String where = configuredDir.map(Path::toString).orElse(NSS_LIBRARY_DIRS.toString());
            if (mode == StorageConfig.Sha256.NSS) {
                throw new IllegalStateException("p2p.storage.sha256=nss, but there is no " + NSS_SOFTOKEN + " in "
                        + where + ": install NSS (Debian: libnss3, RHEL/UBI: nss) or set p2p.storage.nss-library-dir");
            }
            Sha256.use(null);
            LOG.infof("SHA-256: the JDK's (%s); no %s in %s (install NSS for native hashing: the JDK's is fast only"
                    + " under the C2 JIT)", Sha256.implementation(), NSS_SOFTOKEN, where);
            return;
        }
        try {
            Provider p = nss(dir.get());
            Sha256.use(p);
            LOG.infof("SHA-256: NSS from %s (%s)", dir.get(), p.getName());
        } catch (IllegalStateException e) {
            if (mode == StorageConfig.Sha256.NSS) {
                throw e;
            }
            Sha256.use(null);
            LOG.warnf("SHA-256: the JDK's (%s); NSS in %s is unusable: %s", Sha256.implementation(), dir.get(),
                    e.getMessage());
        }
    }

    /** The first of {@code dirs} that holds NSS's soft token library. */
    static Optional<Path> findNss(List<Path> dirs) {
        return dirs.stream().filter(d -> Files.isRegularFile(d.resolve(NSS_SOFTOKEN))).findFirst();
    }

    /**
     * A SunPKCS11 provider over the NSS in {@code dir}, checked against the JDK's SHA-256 (the FIPS 180-2 "abc"
     * vector, empty input, one byte, and 1 MiB of random bytes through several updates).
     *
     * @throws IllegalStateException if the provider cannot be made or disagrees with the JDK
     */
    static synchronized Provider nss(Path dir) {
        // NSS initializes once per process ("Secmod module already configured" on a second SunPKCS11 over it), so
        // the provider is registered JVM-wide, last in the list: found again by name, preferred for nothing.
        Provider loaded = Security.getProvider(PROVIDER_NAME);
        if (loaded != null) {
            return loaded;
        }
        Provider base = Security.getProvider("SunPKCS11");
        if (base == null) {
            throw new IllegalStateException("this JDK has no SunPKCS11 provider (module jdk.crypto.cryptoki)");
        }
        Provider p;
        try {
            // "--" marks an inline configuration; noDb: hashing needs no certificate or key database
            p = base.configure("--name=NSS\nnssLibraryDirectory=" + dir
                    + "\nnssDbMode=noDb\nattributes=compatibility\n");
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot load NSS from " + dir + ": " + e.getMessage(), e);
        }
        selfTest(p);
        Security.addProvider(p);
        return p;
    }

    static void selfTest(Provider p) {
        try {
            MessageDigest ours = MessageDigest.getInstance("SHA-256", p);
            MessageDigest jdk = MessageDigest.getInstance("SHA-256", "SUN");
            String abc = HexFormat.of().formatHex(ours.digest("abc".getBytes(StandardCharsets.US_ASCII)));
            if (!abc.equals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")) {
                throw new IllegalStateException("SHA-256(\"abc\") from " + p.getName() + " is " + abc);
            }
            byte[] data = new byte[1 << 20];
            new SplittableRandom(256).nextBytes(data);
            for (int length : new int[] {0, 1, 55, 64, 262_144, data.length}) {
                ours.update(data, 0, length / 3);
                ours.update(data, length / 3, length - length / 3);
                if (!MessageDigest.isEqual(ours.digest(), jdk.digest(Arrays.copyOf(data, length)))) {
                    throw new IllegalStateException("SHA-256 from " + p.getName() + " differs from the JDK's for "
                            + length + " bytes");
                }
            }
        } catch (NoSuchAlgorithmException | NoSuchProviderException e) {
            throw new IllegalStateException("no SHA-256 in " + p.getName() + ": " + e.getMessage(), e);
        }
    }
}
