package dev.p2psuite.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The container description of the local network is valid (no Docker engine runs here: we validate). */
class DeploymentFilesTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @Test
    void dockerComposeFileValidates() throws Exception {
        boolean installed = Files.isExecutable(Path.of("/usr/bin/docker-compose"));
        if (!installed) {
            // CI installs it (.ci/run); on a developer machine without it, say so rather than pass silently.
            assertThat(System.getenv("CI")).as("docker-compose must be installed in CI").isNull();
            Assumptions.abort("docker-compose is not installed (apt-get install docker-compose)");
        }
        Process p = new ProcessBuilder("docker-compose", "-f", "docker-compose.yml", "config", "-q")
                .directory(REPO.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
    }

    @Test
    void everyServiceHasAJvmDockerfileThatRunsItsQuarkusApp() throws Exception {
        for (String service : LocalNetwork.SERVICES) {
            Path dockerfile = REPO.resolve(service).resolve("src/main/docker/Dockerfile.jvm");
            assertThat(dockerfile).exists();
            assertThat(Files.readString(dockerfile)).contains("target/quarkus-app/", "quarkus-run.jar");
        }
        String compose = Files.readString(REPO.resolve("docker-compose.yml"));
        for (int node = 1; node <= 3; node++) {
            for (String service : LocalNetwork.SERVICES) {
                assertThat(compose).contains("node" + node + "-" + service + ":");
            }
        }
    }
}
