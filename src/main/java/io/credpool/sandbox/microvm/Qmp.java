package io.credpool.sandbox.microvm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** A client of QEMU's machine protocol (QMP) over its unix socket; carries no values, only commands. */
final class Qmp implements AutoCloseable {
    private final ObjectMapper json = new ObjectMapper();
    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;

    private Qmp(SocketChannel channel) {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
    }

    /** Connects once QEMU has made the socket, reads its greeting and enters command mode. */
    static Qmp connect(Path socket, long deadlineNanos, ProcessHandle qemu) throws IOException, InterruptedException {
        for (;;) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                Qmp qmp = new Qmp(ch);
                qmp.in.readLine(); // greeting
                qmp.execute("qmp_capabilities", Map.of());
                return qmp;
            } catch (IOException e) {
                ch.close();
                if (System.nanoTime() > deadlineNanos || !qemu.isAlive()) {
                    throw e;
                }
                Thread.sleep(5);
            }
        }
    }

    /**
     * Runs one command and returns its "return" member, skipping asynchronous events.
     *
     * @throws IOException with QEMU's error description
     */
    synchronized JsonNode execute(String command, Map<String, Object> arguments) throws IOException {
        ObjectNode request = json.createObjectNode().put("execute", command);
        if (!arguments.isEmpty()) {
            request.set("arguments", json.valueToTree(arguments));
        }
        out.write((json.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        for (;;) {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("QEMU closed its monitor during '" + command + "'");
            }
            JsonNode reply = json.readTree(line);
            if (reply.has("return")) {
                return reply.get("return");
            }
            if (reply.has("error")) {
                throw new IOException("QEMU refused '" + command + "': " + reply.get("error").path("desc").asText());
            }
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // QEMU is going away
        }
    }
}
