package dev.p2psuite.cli;

import java.util.Map;

/**
 * The gateway a command talks to: {@code --gateway HOST:PORT}, or node N of the local network that
 * {@code ./p2p up} starts (port P2P_BASE_PORT + 10 (N - 1), base 7000).
 *
 * @param host      host name or IP literal (IPv6 without brackets)
 * @param port      TCP port
 * @param node      local network node number, or 0 when given as --gateway
 * @param basePort  the base port used for {@code node}, or 0
 */
record Target(String host, int port, int node, int basePort) {

    static final int DEFAULT_BASE_PORT = 7000;

    /** Resolves --node / --gateway (at most one of them) against the environment. */
    static Target resolve(Integer node, String gateway, Map<String, String> env) {
        if (node != null && gateway != null) {
            throw new IllegalArgumentException("--node and --gateway are exclusive: give one of them");
        }
        if (gateway != null) {
            return parseGateway(gateway);
        }
        int n = node == null ? 1 : node;
        if (n < 1) {
            throw new IllegalArgumentException("--node must be 1 or more, got " + n);
        }
        int base = DEFAULT_BASE_PORT;
        String configured = env.get("P2P_BASE_PORT");
        if (configured != null && !configured.isBlank()) {
            try {
                base = Integer.parseInt(configured.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("P2P_BASE_PORT must be a port number, got '" + configured + "'");
            }
            if (base < 1 || base > 65535) {
                throw new IllegalArgumentException("P2P_BASE_PORT must be a port number (1..65535), got " + base);
            }
        }
        long port = base + 10L * (n - 1);
        if (port > 65535) {
            throw new IllegalArgumentException("node " + n + " would be on port " + port + " (P2P_BASE_PORT " + base
                    + "), past 65535");
        }
        return new Target("127.0.0.1", (int) port, n, base);
    }

    /** Parses {@code HOST:PORT}, {@code [IPv6]:PORT}. */
    static Target parseGateway(String text) {
        String s = text.trim();
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("--gateway must be HOST:PORT or [IPv6]:PORT, got '" + text + "'");
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || s.indexOf(':') != colon) {
                throw new IllegalArgumentException("--gateway must be HOST:PORT (e.g. 127.0.0.1:7000), got '" + text + "'");
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--gateway port must be a number, got '" + port + "'");
        }
        if (p < 1 || p > 65535 || host.isEmpty()) {
            throw new IllegalArgumentException("--gateway must be HOST:PORT with a port 1..65535, got '" + text + "'");
        }
        return new Target(host, p, 0, 0);
    }

    String address() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    /** "node 2" or "host:port", for summary lines. */
    String shortName() {
        return node > 0 ? "node " + node : address();
    }

    /** "node 2 of the local network (127.0.0.1:7010)" or "the gateway at host:port". */
    String describe() {
        return node > 0 ? "node " + node + " of the local network (" + address() + ")" : "the gateway at " + address();
    }
}
