package dev.p2psuite.identity;

import java.nio.file.Path;
import java.security.SecureRandom;

/** Child process for the multi-process key store test: waits for a common start time, then loads or creates. */
public final class KeyStoreProcess {

    private KeyStoreProcess() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path dataDir = Path.of(args[0]);
        long startAtMillis = Long.parseLong(args[1]);
        SecureRandom random = new SecureRandom();
        NodeKey.generate(random); // warm up class loading so the processes race on the file, not the JIT
        while (System.currentTimeMillis() < startAtMillis) {
            Thread.onSpinWait();
        }
        System.out.println(NodeKeyStore.loadOrCreate(dataDir, random).nodeId().toHex());
    }
}
