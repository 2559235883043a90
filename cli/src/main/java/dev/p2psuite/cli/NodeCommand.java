package dev.p2psuite.cli;

import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that calls one gateway: checks its local arguments, opens the channel, runs, closes it. */
abstract class NodeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    P2pCli root() {
        return (P2pCli) spec.root().userObject();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    boolean json() {
        return root().json;
    }

    boolean quiet() {
        return root().quiet;
    }

    CliEnvironment env() {
        return root().env;
    }

    /** A usage error (exit code 2) about this command's arguments. */
    CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** Checks arguments that need no node (files, formats); throws {@link #usage} when one is wrong. */
    void validate() throws Exception {
    }

    abstract int run(Gateway gateway) throws Exception;

    @Override
    public final Integer call() throws Exception {
        validate();
        P2pCli root = root();
        if (root.timeoutSeconds != null && root.timeoutSeconds < 0) {
            throw usage("--timeout must be 0 (none) or more seconds, got " + root.timeoutSeconds);
        }
        Target target;
        try {
            target = Target.resolve(root.node, root.gateway, root.env.variables());
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        root.target = target;
        try (Gateway gateway = new Gateway(target, root.env.channels().apply(target), root.timeoutSeconds)) {
            return run(gateway);
        }
    }

    void printJson(JsonObject object) {
        out().println(Json.write(object));
        out().flush();
    }

    /** A progress bar on stderr, drawn only if stderr is a terminal and neither --quiet nor disabled. */
    ProgressBar progressBar(String label, long total) {
        boolean enabled = !quiet() && env().stderrIsTerminal().getAsBoolean();
        return new ProgressBar(err(), label, total, env().nanoTime(), enabled, columns());
    }

    /** The terminal's width from COLUMNS if exported (./p2p does), else 80. */
    int columns() {
        String columns = env().variables().get("COLUMNS");
        try {
            return columns == null ? 80 : Integer.parseInt(columns.trim());
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    /** The summary line of a transfer, on stderr (stdout carries the result), unless --quiet or --json. */
    void summary(String line) {
        if (!quiet() && !json()) {
            err().println(line);
            err().flush();
        }
    }
}
