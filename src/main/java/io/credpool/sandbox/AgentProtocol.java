package io.credpool.sandbox;

import io.credpool.secrets.SecretValue;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The frames spoken between credpool and its guest agent ({@code src/main/c/credpool-agent.c}),
 * over any byte stream: a pipe to a bubblewrap sandbox or a microVM's serial line.
 *
 * <p>Every frame is {@code [type: 1 byte][length: 4 bytes big-endian][payload]}. Host to agent:
 * {@code E} one variable {@code NAME=value} (any bytes but NUL), {@code X} the command as
 * NUL-terminated arguments, {@code N} reseed (a 16-byte nonce, then entropy for the guest's RNG),
 * {@code P} prime (a 16-byte nonce: the agent runs {@code true} once, filling a restored guest's
 * caches), {@code W} a chunk of the workspace as a cpio stream (an empty one ends it). Agent to host:
 * {@code R} ready (sent once, after setup), {@code K} the answer to {@code N} or {@code P} carrying its nonce,
 * {@code O} and {@code S} chunks of the task's stdout and stderr, {@code Q} the exit status
 * (4 bytes, big-endian: exit code or 128 + signal), {@code F} failure text, after which the agent
 * exits. Lengths are
 * bounded on both sides so that a corrupt stream fails fast instead of allocating gigabytes.
 */
public final class AgentProtocol {
    public static final byte ENV = 'E';
    public static final byte EXEC = 'X';
    public static final byte RESEED = 'N';
    public static final byte PRIME = 'P';
    public static final byte WORKSPACE = 'W';
    public static final byte ACK = 'K';
    public static final byte READY = 'R';
    public static final byte STDOUT = 'O';
    public static final byte STDERR = 'S';
    public static final byte EXIT = 'Q';
    public static final byte FAILURE = 'F';

    /** The agent refuses longer host frames; a 64 KiB value plus its name fits easily. */
    public static final int MAX_HOST_FRAME = 1 << 20;
    /** The agent sends output in chunks of at most 32 KiB; anything above this is corruption. */
    public static final int MAX_AGENT_FRAME = 1 << 20;

    /** The nonce that starts an {@code N} frame and comes back in its {@code K}. */
    public static final int NONCE_BYTES = 16;
    /** The payload of the agent's {@code R} frame. */
    public static final String READY_TEXT = "credpool-agent/1";

    private static final int HEADER = 5;
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private AgentProtocol() {
    }

    /** One frame from the agent. Its payload is task output or status, never an injected value. */
    public record Frame(byte type, byte[] payload) {
        /** The status of a {@code Q} frame. */
        public int exitStatus() {
            if (type != EXIT || payload.length != 4) {
                throw new SandboxException("malformed exit frame of " + payload.length + " bytes");
            }
            return ((payload[0] & 0xff) << 24) | ((payload[1] & 0xff) << 16) | ((payload[2] & 0xff) << 8)
                    | (payload[3] & 0xff);
        }

        /** The payload as text, for {@code R} and {@code F} frames. */
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    /** True for names a POSIX shell accepts as variables: the agent enforces the same rule. */
    public static boolean isValidName(String name) {
        return NAME.matcher(name).matches();
    }

    /**
     * Writes one {@code E} frame. The frame is built in one array so that it goes out in one write,
     * and the array is zeroed afterwards.
     *
     * @throws SandboxException for an invalid name or a value holding a NUL byte
     */
    public static void writeEnv(OutputStream out, String name, SecretValue value) throws IOException {
        if (!isValidName(name)) {
            throw new SandboxException("cannot inject credential '" + value.name() + "' as environment variable '"
                    + name + "': the name must match [A-Za-z_][A-Za-z0-9_]*");
        }
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        byte[] bytes = value.bytes();
        byte[] frame = new byte[HEADER + nameBytes.length + 1 + bytes.length];
        try {
            for (byte b : bytes) {
                if (b == 0) {
                    throw new SandboxException("cannot inject credential '" + value.name() + "' version "
                            + value.version() + " as " + name + ": environment values cannot contain a NUL byte");
                }
            }
            header(frame, ENV, frame.length - HEADER);
            System.arraycopy(nameBytes, 0, frame, HEADER, nameBytes.length);
            frame[HEADER + nameBytes.length] = '=';
            System.arraycopy(bytes, 0, frame, HEADER + nameBytes.length + 1, bytes.length);
            out.write(frame);
        } finally {
            Arrays.fill(bytes, (byte) 0);
            Arrays.fill(frame, (byte) 0);
        }
    }

    /** Writes the {@code X} frame; arguments are not secret but must not contain NUL. */
    public static void writeExec(OutputStream out, List<String> command) throws IOException {
        if (command.isEmpty() || command.get(0).isEmpty()) {
            throw new IllegalArgumentException("the command needs a program name as its first argument");
        }
        int length = 0;
        byte[][] args = new byte[command.size()][];
        for (int i = 0; i < args.length; i++) {
            String arg = command.get(i);
            if (arg.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("argument " + i + " of the command contains a NUL character");
            }
            args[i] = arg.getBytes(StandardCharsets.UTF_8);
            length += args[i].length + 1;
        }
        if (length > MAX_HOST_FRAME) {
            throw new IllegalArgumentException("the command is " + length + " bytes; the limit is " + MAX_HOST_FRAME);
        }
        byte[] frame = new byte[HEADER + length];
        header(frame, EXEC, length);
        int at = HEADER;
        for (byte[] arg : args) {
            System.arraycopy(arg, 0, frame, at, arg.length);
            at += arg.length + 1;
        }
        out.write(frame);
    }

    /**
     * Reads the next frame from the agent.
     *
     * @return empty at a clean end of stream (between frames)
     * @throws EOFException if the stream ends inside a frame
     * @throws SandboxException for an unknown type or an absurd length
     */
    public static Optional<Frame> read(InputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            return Optional.empty();
        }
        byte[] len = in.readNBytes(4);
        if (len.length < 4) {
            throw new EOFException("agent stream ended inside a frame header");
        }
        long length = ((len[0] & 0xffL) << 24) | ((len[1] & 0xff) << 16) | ((len[2] & 0xff) << 8) | (len[3] & 0xff);
        switch (type) {
            case READY, STDOUT, STDERR, EXIT, FAILURE, ACK -> {
            }
            default -> throw new SandboxException(String.format("agent sent an unknown frame type 0x%02x", type));
        }
        if (length > MAX_AGENT_FRAME) {
            throw new SandboxException("agent sent a frame of " + length + " bytes; the limit is " + MAX_AGENT_FRAME);
        }
        byte[] payload = in.readNBytes((int) length);
        if (payload.length < length) {
            throw new EOFException("agent stream ended inside a frame of " + length + " bytes");
        }
        return Optional.of(new Frame((byte) type, payload));
    }

    /**
     * Writes one host frame of any type (N, W, or raw bytes in tests); the caller has checked the
     * payload. Built in one array so that it goes out in one write.
     */
    public static void writeFrame(OutputStream out, byte type, byte[] payload, int off, int len) throws IOException {
        if (len > MAX_HOST_FRAME) {
            throw new IllegalArgumentException("a host frame of " + len + " bytes exceeds the limit of " + MAX_HOST_FRAME);
        }
        byte[] frame = new byte[HEADER + len];
        header(frame, type, len);
        System.arraycopy(payload, off, frame, HEADER, len);
        try {
            out.write(frame);
        } finally {
            Arrays.fill(frame, (byte) 0);
        }
    }

    /** Encodes an agent-side frame; for tests and for agents written in Java. */
    public static byte[] encode(byte type, byte[] payload) {
        byte[] frame = new byte[HEADER + payload.length];
        header(frame, type, payload.length);
        System.arraycopy(payload, 0, frame, HEADER, payload.length);
        return frame;
    }

    private static void header(byte[] frame, byte type, int length) {
        frame[0] = type;
        frame[1] = (byte) (length >>> 24);
        frame[2] = (byte) (length >>> 16);
        frame[3] = (byte) (length >>> 8);
        frame[4] = (byte) length;
    }
}
