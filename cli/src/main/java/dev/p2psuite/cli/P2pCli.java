package dev.p2psuite.cli;

import com.google.gson.JsonObject;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.NoSuchFileException;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code p2p}: the command line of a p2p-suite node. Every command calls the node's client API
 * ({@code p2p.gateway.v1.NodeApi}) on one gateway: node N of the local network ({@code --node N}, default 1)
 * or any gateway ({@code --gateway HOST:PORT}).
 */
@Command(name = "p2p",
        mixinStandardHelpOptions = true,
        versionProvider = P2pCli.VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "The command line of a p2p-suite node: publish and fetch content, inspect the node, the DHT and its peers.",
            "Talks to one node's gateway: node N of the local network (./p2p up), or any gateway with --gateway."},
        subcommands = {
            PutCommand.class, GetCommand.class, StatCommand.class, ProvidersCommand.class, PeersCommand.class,
            SearchCommand.class, DhtCommand.class, InfoCommand.class, RoutingCommand.class,
            CommandLine.HelpCommand.class})
public final class P2pCli implements Callable<Integer> {

    static final String FOOTER = "%nThe gateway: --gateway HOST:PORT, else node N of the local network at 127.0.0.1, "
            + "port P2P_BASE_PORT + 10 (N - 1) (P2P_BASE_PORT defaults to 7000). "
            + "Errors go to stderr as the node's gRPC status and its description; with --json a JSON object "
            + "{\"error\":{...}} is also written to stdout. "
            + "The progress bar is drawn when stderr is a terminal; P2P_PROGRESS=always|never overrides that.";

    @Option(names = "--node", paramLabel = "N", scope = ScopeType.INHERIT, order = 100,
            description = "Node N of the local network (default: 1): 127.0.0.1, port P2P_BASE_PORT + 10 (N - 1).")
    Integer node;

    @Option(names = "--gateway", paramLabel = "HOST:PORT", scope = ScopeType.INHERIT, order = 101,
            description = "Any node's gateway instead of a local network node.")
    String gateway;

    @Option(names = "--json", scope = ScopeType.INHERIT, order = 102,
            description = "Print one JSON object on stdout, for scripts: the node's answer in the proto3 JSON mapping "
                    + "(put and get add the transfer's figures).")
    boolean json;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT, order = 103,
            description = "No progress bar and no summary line on stderr (errors are still printed).")
    boolean quiet;

    @Option(names = "--timeout", paramLabel = "SECONDS", scope = ScopeType.INHERIT, order = 104,
            description = "Deadline of each call, seconds; 0 = none. Default: 30, none for put and get.")
    Integer timeoutSeconds;

    @Spec
    CommandSpec spec;

    final CliEnvironment env;
    /** The gateway of the command being run, once resolved (used to explain connection failures). */
    Target target;

    P2pCli(CliEnvironment env) {
        this.env = env;
    }

    public static void main(String[] args) {
        int code = commandLine(CliEnvironment.system()).execute(args);
        System.out.flush();
        System.exit(code);
    }

    /** The command line with its handlers, help footer and exit code list on every command. */
    static CommandLine commandLine(CliEnvironment env) {
        CommandLine cl = new CommandLine(new P2pCli(env));
        cl.setExecutionExceptionHandler(P2pCli::handleExecutionException);
        cl.setParameterExceptionHandler(P2pCli::handleParameterException);
        configure(cl);
        return cl;
    }

    private static void configure(CommandLine cl) {
        CommandSpec spec = cl.getCommandSpec();
        spec.usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCodes.helpList());
        String[] footer = spec.usageMessage().footer();
        String[] withGlobal = new String[footer.length + 1];
        System.arraycopy(footer, 0, withGlobal, 0, footer.length);
        withGlobal[footer.length] = FOOTER;
        spec.usageMessage().footer(withGlobal);
        spec.versionProvider(new VersionProvider());
        for (CommandLine sub : cl.getSubcommands().values()) {
            configure(sub);
        }
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing command: one of put, get, stat, providers, peers, dht, info, routing");
    }

    // ---------------------------------------------------------------------------------------------------------

    private static int handleParameterException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        String name = cl.getCommandSpec().qualifiedName();
        err.println(name + ": " + ex.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Try '" + name + " --help' for more information.");
        err.flush();
        return ExitCodes.USAGE;
    }

    private static int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
        P2pCli root = (P2pCli) cl.getCommandSpec().root().userObject();
        Failure failure = describe(ex, root.target);
        PrintWriter err = cl.getErr();
        err.println(cl.getCommandSpec().qualifiedName() + ": " + failure.message());
        if (System.getenv("P2P_DEBUG") != null) {
            ex.printStackTrace(err);
        }
        err.flush();
        if (root.json) {
            JsonObject error = new JsonObject();
            error.addProperty("code", failure.code());
            error.addProperty("message", failure.message());
            error.addProperty("exitCode", failure.exitCode());
            JsonObject object = new JsonObject();
            object.add("error", error);
            cl.getOut().println(Json.write(object));
            cl.getOut().flush();
        }
        return failure.exitCode();
    }

    /** How a failure is reported: exit code, short code for --json, and the message for people. */
    record Failure(int exitCode, String code, String message) {
    }

    static Failure describe(Throwable ex, Target target) {
        Throwable t = ex;
        while ((t instanceof CompletionException || t instanceof ExecutionException || t instanceof UncheckedIOException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof CliException cli) {
            return new Failure(cli.exitCode(), cli.code(), cli.getMessage());
        }
        if (t instanceof StatusRuntimeException || t instanceof StatusException) {
            return describe(Status.fromThrowable(t), target);
        }
        if (t instanceof NoSuchFileException e) {
            return new Failure(ExitCodes.FAILURE, "IO_ERROR", "no such file or directory: " + e.getFile());
        }
        if (t instanceof IOException e) {
            return new Failure(ExitCodes.FAILURE, "IO_ERROR", "I/O error: " + e.getMessage());
        }
        return new Failure(ExitCodes.FAILURE, "INTERNAL", "unexpected error: " + t
                + " (set P2P_DEBUG=1 for the stack trace)");
    }

    static Failure describe(Status status, Target target) {
        Status.Code code = status.getCode();
        String where = target == null ? "the gateway" : target.describe();
        if (code == Status.Code.UNAVAILABLE && unreachable(status.getCause())) {
            String reason = status.getCause() instanceof UnknownHostException ? "unknown host" : "connection refused";
            String hint = target != null && target.node() > 0
                    ? " Is the local network running? Start it with ./p2p up, or choose a node with --node N or"
                    + " --gateway HOST:PORT."
                    : " Check the address, or that the node runs.";
            return new Failure(ExitCodes.UNAVAILABLE, code.name(), "cannot reach " + where + ": " + reason + "." + hint);
        }
        String description = status.getDescription();
        if (description == null || description.isBlank()) {
            description = switch (code) {
                case RESOURCE_EXHAUSTED -> "a limit was reached (message size or store full) and the node gave no detail";
                case DEADLINE_EXCEEDED -> "no answer within the deadline; raise --timeout (0 = none)";
                case CANCELLED -> "the call was cancelled";
                default -> "no description from " + where;
            };
        }
        if (code == Status.Code.UNIMPLEMENTED) {
            return new Failure(ExitCodes.FAILURE, code.name(), "UNIMPLEMENTED: " + where
                    + " does not offer this call yet (" + description + ")");
        }
        return new Failure(ExitCodes.of(code), code.name(), code.name() + ": " + description);
    }

    private static boolean unreachable(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException
                    || t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------------------

    static String version() {
        try (InputStream in = P2pCli.class.getResourceAsStream("/p2p-cli.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException ignored) {
            // fall through
        }
        return "unknown";
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"p2p-cli " + version() + " (p2p-suite, NodeApi p2p.gateway.v1)",
                "Java " + System.getProperty("java.version")};
        }
    }
}
