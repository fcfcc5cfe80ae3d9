package io.credpool.sandbox;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.secrets.SecretValue;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentProtocolTest {

    @Test
    void anEnvironmentFrameCarriesNameEqualsValueWithABigEndianLength() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AgentProtocol.writeEnv(out, "TOKEN", SecretValue.of("c", "v1", "a=b\nc".getBytes(UTF_8)));

        byte[] frame = out.toByteArray();
        assertThat(frame[0]).isEqualTo((byte) 'E');
        assertThat(Arrays.copyOfRange(frame, 1, 5)).containsExactly(0, 0, 0, 11);
        assertThat(new String(frame, 5, frame.length - 5, UTF_8)).isEqualTo("TOKEN=a=b\nc");
    }

    @Test
    void anExecFrameCarriesNulTerminatedArgumentsIncludingEmptyOnes() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AgentProtocol.writeExec(out, List.of("sh", "", "-c"));

        assertThat(out.toByteArray()).containsExactly('X', 0, 0, 0, 7, 's', 'h', 0, 0, '-', 'c', 0);
    }

    @Test
    void aValueWithANulByteIsRefusedWithoutRevealingIt() {
        SecretValue value = SecretValue.of("api-key", "v7", new byte[] {'s', 0, 'x'});
        assertThatThrownBy(() -> AgentProtocol.writeEnv(new ByteArrayOutputStream(), "API_KEY", value))
                .isInstanceOf(SandboxException.class)
                .hasMessage("cannot inject credential 'api-key' version v7 as API_KEY: environment values cannot"
                        + " contain a NUL byte");
    }

    @Test
    void namesThatAreNotShellVariablesAreInvalid() {
        assertThat(AgentProtocol.isValidName("_A1")).isTrue();
        assertThat(AgentProtocol.isValidName("1A")).isFalse();
        assertThat(AgentProtocol.isValidName("A=B")).isFalse();
        assertThat(AgentProtocol.isValidName("")).isFalse();
    }

    @Test
    void anEmptyCommandOrOneWithNulIsRefused() {
        assertThatThrownBy(() -> AgentProtocol.writeExec(new ByteArrayOutputStream(), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AgentProtocol.writeExec(new ByteArrayOutputStream(), List.of("a", "b\0c")))
                .hasMessage("argument 1 of the command contains a NUL character");
    }

    @Test
    void agentFramesAreReadInOrderAndTheExitStatusIsDecoded() throws IOException {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.write(AgentProtocol.encode(AgentProtocol.READY, "credpool-agent/1".getBytes(UTF_8)));
        stream.write(AgentProtocol.encode(AgentProtocol.STDOUT, "hi".getBytes(UTF_8)));
        stream.write(AgentProtocol.encode(AgentProtocol.EXIT, new byte[] {0, 0, 1, 3}));
        ByteArrayInputStream in = new ByteArrayInputStream(stream.toByteArray());

        assertThat(AgentProtocol.read(in).orElseThrow().text()).isEqualTo("credpool-agent/1");
        assertThat(AgentProtocol.read(in).orElseThrow().payload()).containsExactly('h', 'i');
        assertThat(AgentProtocol.read(in).orElseThrow().exitStatus()).isEqualTo(259);
        assertThat(AgentProtocol.read(in)).isEmpty();
    }

    @Test
    void anAbsurdLengthIsRejectedBeforeAllocating() {
        byte[] frame = {'O', (byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThatThrownBy(() -> AgentProtocol.read(new ByteArrayInputStream(frame)))
                .isInstanceOf(SandboxException.class)
                .hasMessage("agent sent a frame of 2147483647 bytes; the limit is 1048576");
    }

    @Test
    void aStreamThatEndsInsideAFrameIsAnError() {
        byte[] frame = Arrays.copyOf(AgentProtocol.encode(AgentProtocol.STDOUT, new byte[10]), 9);
        assertThatThrownBy(() -> AgentProtocol.read(new ByteArrayInputStream(frame)))
                .isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> AgentProtocol.read(new ByteArrayInputStream(new byte[] {'O', 0})))
                .isInstanceOf(EOFException.class);
    }

    @Test
    void anUnknownFrameTypeIsRejected() {
        assertThatThrownBy(() -> AgentProtocol.read(new ByteArrayInputStream(new byte[] {'Z', 0, 0, 0, 0})))
                .isInstanceOf(SandboxException.class).hasMessage("agent sent an unknown frame type 0x5a");
    }

    @Test
    void aMalformedExitFrameIsRejected() {
        assertThatThrownBy(() -> new AgentProtocol.Frame(AgentProtocol.EXIT, new byte[3]).exitStatus())
                .hasMessage("malformed exit frame of 3 bytes");
    }
}
