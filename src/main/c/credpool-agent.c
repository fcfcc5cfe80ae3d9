/*
 * credpool-agent: the guest side of a credpool sandbox. It receives a task's environment and
 * command from the host over fd 0, runs the command, and relays its output and exit over fd 1.
 * The same binary runs under bubblewrap, under unshare, unsandboxed, and (later) as the agent of
 * a QEMU microVM over a serial line, so it relies on nothing but two byte streams.
 *
 * PROTOCOL (mirrored in io.credpool.sandbox.AgentProtocol)
 *   Every frame is [type: 1 byte][length: 4 bytes, big-endian][payload: length bytes].
 *   host -> agent
 *     'E'  one environment variable, "NAME=value"; the value is any bytes except NUL.
 *          A later E for the same NAME replaces the earlier one.
 *     'X'  the command: argv as NUL-terminated strings (a missing final NUL is accepted).
 *     'N'  reseed + sync: [16-byte nonce][16..512 bytes of entropy]. The entropy is mixed into the
 *          kernel's pool and the CRNG is reseeded (RNDADDENTROPY + RNDRESEEDCRNG where permitted,
 *          else a plain write to /dev/urandom); the agent answers K with the nonce. Sent after every
 *          snapshot restore, because restored guests share one RNG state; its answer also proves that
 *          every earlier frame was consumed.
 *     'P'  prime: [16-byte nonce]. The agent runs `true` once and answers K with the nonce. A
 *          restored microVM under TCG has an empty translation cache; this fills it with the
 *          fork/exec/exit paths so that the task itself starts fast.
 *     'W'  a chunk of the workspace as a cpio (newc) stream, unpacked into the working directory by
 *          cpio -idmu; an empty W ends the stream (a failed unpack is reported with F).
 *   agent -> host
 *     'R'  ready, sent once after setup; payload "credpool-agent/1". Send nothing before it:
 *          a serial line loses bytes sent before the guest reads.
 *     'O'  a chunk of the task's stdout.        'S'  a chunk of the task's stderr.
 *     'Q'  the task ended: 4-byte big-endian status, the exit code or 128 + signal number.
 *     'K'  the answer to N or P: its nonce.
 *     'F'  failure text (setup failed, bad frame, exec failed); the agent exits after it.
 *   Host frames are at most 1 MiB; a longer one is refused with F.
 *
 * LIFE
 *   argv (never secret): [--workspace-from SRC] [--workspace DST]. SRC is copied into DST
 *   (cp -R -P SRC/. DST/) and the agent chdirs into DST. Ownership is deliberately not kept: in a
 *   user namespace foreign owners are unmapped (cp -a fails) and the task must own its copy. Then R; then E frames are kept in memory
 *   until X. The task gets a fresh environment of exactly those variables plus PATH and HOME
 *   defaults (a declared variable wins), its own session, stdin /dev/null, and stdout/stderr
 *   pipes relayed as they arrive. When the task's main process exits, whatever is already in the
 *   pipes is relayed, the rest of its process group is killed, Q is sent and the agent exits.
 *   End of input from the host, SIGTERM, SIGINT or SIGHUP kill the task's process group first.
 *   Values are never written to a file or put on an argv.
 *
 * INIT MODE (run as /init, the PID 1 of a microVM's initramfs, or with --init)
 *   Mounts /proc, /sys, /dev (devtmpfs), /tmp and /workspace (tmpfs), switches the kernel console
 *   off, puts the serial line (--serial DEV, default /dev/ttyS0) in raw mode and speaks the
 *   protocol over it instead of fd 0/1; stderr goes to /dev/null so that nothing but frames ever
 *   reaches the line. When done it drains the line and powers the VM off: PID 1 must not exit,
 *   or the kernel would print a panic onto the protocol stream.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define MAX_HOST_FRAME (1u << 20)
#define MAX_ENV_COUNT 4096
#define MAX_ARGC 4096
#define OUTPUT_CHUNK 32768
#define DEFAULT_PATH "PATH=/usr/local/bin:/usr/bin:/bin"
#define NONCE_BYTES 16
#define MIN_ENTROPY 16
#define MAX_ENTROPY 512
#define INIT_WORKSPACE "/workspace"

extern char **environ;

/* Read by the signal handler: the task's pid, which is also its process group id. */
static volatile pid_t task_pid = 0;
static int sigchld_pipe[2] = {-1, -1};

static char *env_vars[MAX_ENV_COUNT + 3];
static size_t env_count = 0;

/* Set once in main: PID 1 of a VM must power off instead of exiting. */
static int init_mode = 0;
/* The running workspace unpacker (cpio), if a W stream is open. */
static pid_t unpack_pid = 0;
static int unpack_fd = -1;

static void kill_task(void) {
    pid_t p = task_pid;
    if (p > 0) {
        kill(-p, SIGKILL);
        kill(p, SIGKILL);
    }
}

/* Ends the agent. In a VM the frames must leave the serial line before the power goes. */
static void leave(int status) __attribute__((noreturn));

static void leave(int status) {
    if (init_mode) {
        tcdrain(1);
        sync();
        reboot(RB_POWER_OFF);
        for (;;) {
            pause();
        }
    }
    _exit(status);
}

static void on_terminate(int sig) {
    kill_task();
    _exit(128 + sig);
}

static void on_child(int sig) {
    int saved = errno;
    (void) sig;
    if (write(sigchld_pipe[1], "c", 1) < 0) {
        /* pipe full: a wake-up is already pending */
    }
    errno = saved;
}

static int write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

/* 1: read len bytes; 0: end of input before the first byte; -1: error or end of input inside. */
static int read_full(int fd, void *buf, size_t len) {
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        if (n == 0) {
            return got == 0 ? 0 : -1;
        }
        got += (size_t) n;
    }
    return 1;
}

/* The host is gone or unreachable: nobody wants the task any more. */
static void host_lost(void) {
    kill_task();
    leave(1);
}

static void send_frame(char type, const void *payload, uint32_t len) {
    unsigned char header[5] = {
        (unsigned char) type, (unsigned char) (len >> 24), (unsigned char) (len >> 16),
        (unsigned char) (len >> 8), (unsigned char) len};
    if (write_all(1, header, sizeof header) != 0 || (len > 0 && write_all(1, payload, len) != 0)) {
        host_lost();
    }
}

static void fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void fail(int status, const char *fmt, ...) {
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0) {
        n = 0;
    } else if ((size_t) n >= sizeof text) {
        n = sizeof text - 1;
    }
    send_frame('F', text, (uint32_t) n);
    kill_task();
    leave(status);
}

static void copy_workspace(const char *from, const char *to) {
    size_t fl = strlen(from), tl = strlen(to);
    char *src = malloc(fl + 3), *dst = malloc(tl + 2);
    if (src == NULL || dst == NULL) {
        fail(2, "out of memory");
    }
    memcpy(src, from, fl);
    memcpy(src + fl, "/.", 3);
    memcpy(dst, to, tl);
    memcpy(dst + tl, "/", 2);
    pid_t pid = fork();
    if (pid < 0) {
        fail(2, "cannot fork to copy the workspace: %s", strerror(errno));
    }
    if (pid == 0) {
        /* cp must not touch the protocol streams: stdin from /dev/null, stdout to stderr. */
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, 0);
        }
        dup2(2, 1);
        char *argv[] = {"cp", "-R", "-P", "--", src, dst, NULL};
        char *envp[] = {DEFAULT_PATH, NULL};
        execve("/bin/cp", argv, envp);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fail(2, "cannot wait for the workspace copy: %s", strerror(errno));
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail(2, "copying the workspace from '%s' to '%s' failed (cp status %d); see stderr", from, to,
             WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    free(src);
    free(dst);
}

static int valid_name(const char *s, size_t len) {
    if (len == 0 || (s[0] >= '0' && s[0] <= '9')) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return 0;
        }
    }
    return 1;
}

static size_t name_length(const char *entry) {
    return (size_t) (strchr(entry, '=') - entry);
}

static int has_name(const char *name) {
    size_t len = strlen(name);
    for (size_t i = 0; i < env_count; i++) {
        if (name_length(env_vars[i]) == len && memcmp(env_vars[i], name, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Takes ownership of payload (len bytes plus a NUL at payload[len]). */
static void add_env(char *payload, uint32_t len) {
    char *eq = memchr(payload, '=', len);
    if (eq == NULL || memchr(payload, '\0', len) != NULL || !valid_name(payload, (size_t) (eq - payload))) {
        /* Say nothing about the content: a misframed value must not end up in a message. */
        fail(2, "malformed environment frame of %u bytes", len);
    }
    size_t nl = (size_t) (eq - payload);
    for (size_t i = 0; i < env_count; i++) {
        if (name_length(env_vars[i]) == nl && memcmp(env_vars[i], payload, nl) == 0) {
            explicit_bzero(env_vars[i], strlen(env_vars[i]));
            free(env_vars[i]);
            env_vars[i] = payload;
            return;
        }
    }
    if (env_count >= MAX_ENV_COUNT) {
        fail(2, "more than %d environment variables", MAX_ENV_COUNT);
    }
    env_vars[env_count++] = payload;
}

static char **parse_argv(char *payload, uint32_t len) {
    size_t argc = 0;
    for (uint32_t i = 0; i < len; i++) {
        if (payload[i] == '\0') {
            argc++;
        }
    }
    if (len > 0 && payload[len - 1] != '\0') {
        argc++; /* payload[len] is the NUL added by the reader */
    }
    if (argc == 0 || argc > MAX_ARGC || payload[0] == '\0') {
        fail(2, "malformed command frame: %zu arguments, first %s", argc, argc == 0 ? "missing" : "empty");
    }
    char **argv = calloc(argc + 1, sizeof *argv);
    if (argv == NULL) {
        fail(2, "out of memory");
    }
    char *p = payload;
    for (size_t i = 0; i < argc; i++) {
        argv[i] = p;
        p += strlen(p) + 1;
    }
    return argv;
}

/*
 * Mixes host entropy into the kernel and forces a CRNG reseed, so that clones of one snapshot
 * stop sharing random output. Only root may credit entropy or reseed; anyone may write, which
 * mixes without crediting (the most an unprivileged agent can do).
 */
static void reseed(unsigned char *payload, uint32_t len) {
    if (len < NONCE_BYTES + MIN_ENTROPY || len > NONCE_BYTES + MAX_ENTROPY) {
        fail(2, "malformed reseed frame of %u bytes", len);
    }
    uint32_t n = len - NONCE_BYTES;
    int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        fail(2, "cannot open /dev/urandom to reseed: %s", strerror(errno));
    }
    struct {
        struct rand_pool_info info;
        unsigned char buf[MAX_ENTROPY];
    } add;
    add.info.entropy_count = (int) n * 8;
    add.info.buf_size = (int) n;
    memcpy(add.buf, payload + NONCE_BYTES, n);
    if (ioctl(fd, RNDADDENTROPY, &add) == 0) {
        ioctl(fd, RNDRESEEDCRNG);
    } else if (write_all(fd, payload + NONCE_BYTES, n) != 0) {
        fail(2, "cannot write to /dev/urandom to reseed: %s", strerror(errno));
    }
    explicit_bzero(&add, sizeof add);
    close(fd);
    send_frame('K', payload, NONCE_BYTES);
}

static void prime(const char *payload, uint32_t len) {
    if (len != NONCE_BYTES) {
        fail(2, "malformed prime frame of %u bytes", len);
    }
    pid_t pid = fork();
    if (pid < 0) {
        fail(2, "cannot fork to prime: %s", strerror(errno));
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
        }
        char *argv[] = {"true", NULL};
        char *envp[] = {DEFAULT_PATH, NULL};
        environ = envp;
        execvp("true", argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    send_frame('K', payload, NONCE_BYTES);
}

static void kill_unpack(void) {
    if (unpack_pid > 0) {
        kill(unpack_pid, SIGKILL);
    }
}

/* Feeds one W chunk to cpio, started on the first; the empty chunk ends the stream. */
static void unpack(const char *payload, uint32_t len) {
    if (len > 0 && unpack_pid == 0) {
        int in[2];
        if (pipe2(in, O_CLOEXEC) != 0) {
            fail(2, "cannot create a pipe for the workspace: %s", strerror(errno));
        }
        pid_t pid = fork();
        if (pid < 0) {
            fail(2, "cannot fork to unpack the workspace: %s", strerror(errno));
        }
        if (pid == 0) {
            /* cpio must not touch the protocol stream: its chatter goes to /dev/null. */
            int null = open("/dev/null", O_WRONLY);
            dup2(in[0], 0);
            if (null >= 0) {
                dup2(null, 1);
                dup2(null, 2);
            }
            char *argv[] = {"cpio", "-i", "-d", "-m", "-u", NULL};
            char *envp[] = {DEFAULT_PATH, NULL};
            environ = envp;
            execvp("cpio", argv);
            _exit(127);
        }
        close(in[0]);
        unpack_pid = pid;
        unpack_fd = in[1];
    }
    if (len > 0) {
        if (write_all(unpack_fd, payload, len) != 0) {
            fail(2, "unpacking the workspace failed: cpio stopped reading (%s)", strerror(errno));
        }
        return;
    }
    if (unpack_pid == 0) {
        return; /* an empty workspace */
    }
    close(unpack_fd);
    unpack_fd = -1;
    int status;
    pid_t w;
    /* SIGCHLD's handler may reap others; wait for this one only. */
    while ((w = waitpid(unpack_pid, &status, 0)) < 0 && errno == EINTR) {
    }
    unpack_pid = 0;
    if (w < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail(2, "unpacking the workspace failed (cpio status %d)",
             w < 0 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
}

/* Reads E frames until X; returns the command. End of input means the host gave up. */
static char **receive_task(void) {
    for (;;) {
        unsigned char header[5];
        int r = read_full(0, header, sizeof header);
        if (r == 0) {
            kill_unpack();
            leave(0);
        }
        if (r < 0) {
            kill_unpack();
            leave(1);
        }
        uint32_t len = ((uint32_t) header[1] << 24) | ((uint32_t) header[2] << 16)
                | ((uint32_t) header[3] << 8) | (uint32_t) header[4];
        if (len > MAX_HOST_FRAME) {
            fail(2, "frame of %u bytes exceeds the limit of %u bytes", len, MAX_HOST_FRAME);
        }
        char *payload = malloc((size_t) len + 1);
        if (payload == NULL) {
            fail(2, "out of memory");
        }
        if (len > 0 && read_full(0, payload, len) != 1) {
            kill_unpack();
            leave(1);
        }
        payload[len] = '\0';
        switch (header[0]) {
            case 'E':
                add_env(payload, len);
                break;
            case 'X':
                if (unpack_pid > 0) {
                    fail(2, "the command arrived before the end of the workspace stream");
                }
                return parse_argv(payload, len);
            case 'N':
                reseed((unsigned char *) payload, len);
                explicit_bzero(payload, len);
                free(payload);
                break;
            case 'P':
                prime(payload, len);
                free(payload);
                break;
            case 'W':
                unpack(payload, len);
                free(payload);
                break;
            default:
                fail(2, "unexpected frame type 0x%02x", header[0]);
        }
    }
}

static void set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) {
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }
}

/* Relays what one pipe has now; returns >0 data, 0 end of file, -1 nothing available. */
static ssize_t relay(int fd, char type) {
    static char buf[OUTPUT_CHUNK];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            send_frame(type, buf, (uint32_t) n);
            return n;
        }
        if (n == 0) {
            return 0;
        }
        if (errno == EINTR) {
            continue;
        }
        return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : 0;
    }
}

static void reset_signals(void) {
    int sigs[] = {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        signal(sigs[i], SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static int run_task(char **argv, char **envp) {
    int out[2], err[2], exec_err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(exec_err, O_CLOEXEC) != 0) {
        fail(2, "cannot create pipes: %s", strerror(errno));
    }
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGCHLD);
    /* Blocked across fork so that a kill request cannot fall between fork and task_pid. */
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t pid = fork();
    if (pid < 0) {
        fail(2, "cannot fork: %s", strerror(errno));
    }
    if (pid == 0) {
        reset_signals();
        setsid();
        int null = open("/dev/null", O_RDONLY);
        if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) {
            int e = errno;
            if (write(exec_err[1], &e, sizeof e) < 0) {
                /* the parent sees end of file and reports status 127 */
            }
            _exit(127);
        }
        environ = envp; /* execvp searches the task's PATH, not the agent's */
        execvp(argv[0], argv);
        int e = errno;
        if (write(exec_err[1], &e, sizeof e) < 0) {
            /* as above */
        }
        _exit(127);
    }
    task_pid = pid;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(out[1]);
    close(err[1]);
    close(exec_err[1]);

    int exec_errno = 0;
    int r = read_full(exec_err[0], &exec_errno, sizeof exec_errno);
    close(exec_err[0]);
    if (r == 1) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        task_pid = 0;
        fail(127, "exec of '%s' failed: %s", argv[0], strerror(exec_errno));
    }

    set_nonblocking(out[0]);
    set_nonblocking(err[0]);
    struct pollfd fds[4] = {
        {.fd = out[0], .events = POLLIN},
        {.fd = err[0], .events = POLLIN},
        {.fd = sigchld_pipe[0], .events = POLLIN},
        {.fd = 0, .events = POLLIN},
    };
    int exited = 0, status = 0;
    while (!exited) {
        if (poll(fds, 4, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail(2, "poll failed: %s", strerror(errno));
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
                    && relay(fds[i].fd, i == 0 ? 'O' : 'S') == 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
            }
        }
        if (fds[2].revents & POLLIN) {
            char drain[64];
            while (read(sigchld_pipe[0], drain, sizeof drain) > 0) {
            }
            /* Reap everything: orphans are re-parented to us (PID 1, or subreaper). */
            int st;
            pid_t w;
            while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
                if (w == pid) {
                    exited = 1;
                    status = st;
                }
            }
        }
        if (fds[3].revents & (POLLIN | POLLHUP | POLLERR)) {
            char ignored[256];
            ssize_t n = read(0, ignored, sizeof ignored);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                host_lost();
            }
            /* the host sends nothing after X; stray bytes are ignored */
        }
    }
    /* What the task wrote before it exited is in the pipes: relay it, but do not wait for
       descendants that still hold the pipes open. */
    for (int i = 0; i < 2; i++) {
        while (fds[i].fd >= 0 && relay(fds[i].fd, i == 0 ? 'O' : 'S') > 0) {
        }
    }
    kill_task();
    task_pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void init_mount(const char *source, const char *target, const char *type, const char *options) {
    mkdir(target, 0755);
    if (mount(source, target, type, MS_NOSUID, options) != 0 && errno != EBUSY) {
        fail(2, "cannot mount %s on %s: %s", type, target, strerror(errno));
    }
}

/*
 * PID 1 of a microVM: the kernel gave us nothing but the initramfs. Mount what programs expect,
 * then turn the serial line into a clean byte pipe for the protocol: raw mode, no echo, no flow
 * control characters, no CR/LF translation, and no kernel messages interleaved.
 */
static void init_setup(const char *serial) {
    /* /dev first: the initramfs has no device nodes, not even the serial line. */
    mkdir("/dev", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    int line = open(serial, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (line < 0) {
        /* No channel to report on: the host sees no ready frame and times out. */
        leave(2);
    }
    if (dup2(line, 0) < 0 || dup2(line, 1) < 0) {
        leave(2);
    }
    close(line);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, 2);
        close(null);
    } else {
        close(2); /* nothing must reach the line outside frames */
    }
    struct termios tio;
    if (tcgetattr(0, &tio) == 0) {
        cfmakeraw(&tio);
        tio.c_cflag |= CLOCAL | CREAD;
        tio.c_cc[VMIN] = 1;
        tio.c_cc[VTIME] = 0;
        tcsetattr(0, TCSANOW, &tio);
    }
    klogctl(6, NULL, 0); /* SYSLOG_ACTION_CONSOLE_OFF */
    init_mount("proc", "/proc", "proc", NULL);
    init_mount("sysfs", "/sys", "sysfs", NULL);
    init_mount("tmpfs", "/tmp", "tmpfs", "mode=1777");
    init_mount("tmpfs", INIT_WORKSPACE, "tmpfs", "mode=0755");
    setsid();
}

int main(int argc, char **argv) {
    const char *workspace = NULL, *workspace_from = NULL, *serial = "/dev/ttyS0";
    signal(SIGPIPE, SIG_IGN);
    struct sigaction term = {.sa_handler = on_terminate};
    sigaction(SIGTERM, &term, NULL);
    sigaction(SIGINT, &term, NULL);
    sigaction(SIGHUP, &term, NULL);
    /* Orphaned descendants of the task come back to us, so they stay in our process tree. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        fail(2, "cannot create a pipe: %s", strerror(errno));
    }
    struct sigaction chld = {.sa_handler = on_child, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigaction(SIGCHLD, &chld, NULL);

    /* Not getpid() == 1: under unshare --pid the agent is PID 1 of its namespace too. */
    init_mode = strcmp(argv[0], "/init") == 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--init") == 0) {
            init_mode = 1;
        } else if (strcmp(argv[i], "--serial") == 0 && i + 1 < argc) {
            serial = argv[++i];
        } else if (strcmp(argv[i], "--workspace") == 0 && i + 1 < argc) {
            workspace = argv[++i];
        } else if (strcmp(argv[i], "--workspace-from") == 0 && i + 1 < argc) {
            workspace_from = argv[++i];
        } else {
            fail(2, "unknown argument '%s'; usage: credpool-agent [--init [--serial DEV]]"
                 " [--workspace-from SRC] [--workspace DST]", argv[i]);
        }
    }
    if (init_mode) {
        init_setup(serial);
        if (workspace == NULL) {
            workspace = INIT_WORKSPACE;
        }
    }
    if (workspace_from != NULL && workspace == NULL) {
        fail(2, "--workspace-from needs --workspace");
    }
    if (workspace != NULL) {
        if (workspace_from != NULL) {
            copy_workspace(workspace_from, workspace);
        }
        if (chdir(workspace) != 0) {
            fail(2, "cannot enter the workspace '%s': %s", workspace, strerror(errno));
        }
    }
    static const char ready[] = "credpool-agent/1";
    send_frame('R', ready, sizeof ready - 1);

    char **command = receive_task();
    if (!has_name("PATH")) {
        env_vars[env_count++] = DEFAULT_PATH;
    }
    if (!has_name("HOME")) {
        const char *home = workspace != NULL ? workspace : "/";
        char *entry = malloc(strlen(home) + 6);
        if (entry == NULL) {
            fail(2, "out of memory");
        }
        strcpy(entry, "HOME=");
        strcat(entry, home);
        env_vars[env_count++] = entry;
    }
    env_vars[env_count] = NULL;
    int code = run_task(command, env_vars);
    uint32_t be = (uint32_t) code;
    unsigned char payload[4] = {
        (unsigned char) (be >> 24), (unsigned char) (be >> 16), (unsigned char) (be >> 8), (unsigned char) be};
    send_frame('Q', payload, sizeof payload);
    leave(0);
}
