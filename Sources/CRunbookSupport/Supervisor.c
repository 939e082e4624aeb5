// The supervisor of one command; see CRunbookSupervisor.h for the design.
//
// Everything from `fork()` to `_exit()` in the children runs in a copy of a multithreaded
// process whose other threads may have held locks (malloc's, stdio's, the Swift runtime's)
// at the instant of the fork. So the children only make async-signal-safe calls: raw
// descriptor and process system calls, no allocation, no stdio, no Swift.

#ifdef __linux__
#define _GNU_SOURCE
#endif

#include "CRunbookSupport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

// Descriptor numbers inside the supervisor, fixed so the code after the shuffle is simple.
enum {
    SUP_LIFELINE_FD = 3,
    SUP_REPORT_FD = 4,
    SUP_FIRST_FREE_FD = 5,
};

// How long the supervisor waits for a killed group to disappear before it reports anyway.
// Only a process the engine may not signal (one that switched user, like sudo's child)
// or one stuck in the kernel can make it wait that long.
enum {
    GROUP_WAIT_STEP_NS = 5 * 1000 * 1000,  // 5 ms
    GROUP_WAIT_STEPS = 400,                // 2 s
};

// --- Parent side -------------------------------------------------------------------------

// A pipe whose both ends are close-on-exec from birth, so a concurrent fork+exec elsewhere
// in the engine (another library spawning a process) never inherits them. On macOS there is
// no pipe2; the window between pipe and fcntl is accepted there (Linux is the target).
static int cloexec_pipe(int fds[2]) {
#ifdef __linux__
    return pipe2(fds, O_CLOEXEC);
#else
    if (pipe(fds) != 0) return -1;
    (void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

static void close_if_open(int fd) {
    if (fd >= 0) (void)close(fd);
}

static _Noreturn void supervisor_main(const crb_spawn_request *request, int devnull, int stdout_w, int stderr_w,
                                      int lifeline_r, int report_w);

int crb_spawn_supervised(const crb_spawn_request *request, crb_supervised_process *process) {
    int lifeline[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1};
    int devnull = -1;
    int saved;

    if (cloexec_pipe(lifeline) != 0 || cloexec_pipe(out) != 0 || cloexec_pipe(err) != 0 ||
        cloexec_pipe(report) != 0) {
        saved = errno;
        goto fail;
    }
    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) {
        saved = errno;
        goto fail;
    }

    // Block every signal across the fork: the child must not run one of the engine's
    // handlers before it has reset them to the defaults.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t pid = fork();
    if (pid == 0) {
        supervisor_main(request, devnull, out[1], err[1], lifeline[0], report[1]);
    }
    saved = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (pid < 0) goto fail;

    // The engine keeps only its ends: the lifeline's write end must have exactly one holder,
    // or closing it would not be seen.
    close(devnull);
    close(lifeline[0]);
    close(out[1]);
    close(err[1]);
    close(report[1]);
    process->supervisor_pid = pid;
    process->lifeline_fd = lifeline[1];
    process->stdout_fd = out[0];
    process->stderr_fd = err[0];
    process->report_fd = report[0];
    return 0;

fail:
    close_if_open(devnull);
    for (int i = 0; i < 2; i++) {
        close_if_open(lifeline[i]);
        close_if_open(out[i]);
        close_if_open(err[i]);
        close_if_open(report[i]);
    }
    return saved;
}

int crb_wait_exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

int crb_wait_term_signal(int status) { return WIFSIGNALED(status) ? WTERMSIG(status) : -1; }

// --- Supervisor side (async-signal-safe only) ----------------------------------------------

// Written by the SIGCHLD handler; set once before the handler is installed.
static int sigchld_pipe_w = -1;

static void on_sigchld(int sig) {
    (void)sig;
    int saved = errno;
    char byte = 0;
    (void)write(sigchld_pipe_w, &byte, 1);  // non-blocking: a full pipe already means "wake up"
    errno = saved;
}

static void write_report(int32_t kind, int32_t value, int32_t error, int32_t flags) {
    crb_report record = {kind, value, error, flags};
    // One write of 16 bytes (< PIPE_BUF) is atomic. If the engine is gone this fails with
    // EPIPE (SIGPIPE is ignored here), which is fine: nobody is listening.
    while (write(SUP_REPORT_FD, &record, sizeof record) < 0 && errno == EINTR) {
    }
}

static _Noreturn void fail_setup(int32_t stage, int error) {
    write_report(CRB_REPORT_FAILED, stage, error, 0);
    _exit(127);
}

static void set_disposition(int sig, void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    (void)sigaction(sig, &action, NULL);
}

// Closes every descriptor from `first` up: the supervisor and the command must not hold
// anything of the engine's. In particular another command's lifeline write end, inherited
// here, would keep that command alive after the engine died.
static void close_from(int first) {
#if defined(__linux__) && defined(SYS_close_range)
    if (syscall(SYS_close_range, (unsigned int)first, ~0U, 0) == 0) return;
#endif
    struct rlimit limit;
    long top = 65536;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) top = (long)limit.rlim_cur;
    for (long fd = first; fd < top; fd++) (void)close((int)fd);
}

// Puts the descriptors the supervisor keeps at fixed numbers: stdin/stdout/stderr for the
// command at 0-2, the lifeline at 3 and the report pipe at 4; closes everything else.
static void arrange_descriptors(int devnull, int stdout_w, int stderr_w, int lifeline_r, int report_w) {
    // First move every source above the targets, so no dup2 below overwrites a source
    // (the engine may run with 0-2 closed, making a pipe land on 1, say).
    int sources[5] = {devnull, stdout_w, stderr_w, lifeline_r, report_w};
    int high[5];
    for (int i = 0; i < 5; i++) {
        high[i] = fcntl(sources[i], F_DUPFD, 10);
        if (high[i] < 0) _exit(127);  // cannot even report: the report pipe is one of these
    }
    for (int i = 0; i < 5; i++) {
        if (dup2(high[i], i) < 0) _exit(127);
    }
    close_from(SUP_FIRST_FREE_FD);
    // The command inherits 0-2 only.
    (void)fcntl(SUP_LIFELINE_FD, F_SETFD, FD_CLOEXEC);
    (void)fcntl(SUP_REPORT_FD, F_SETFD, FD_CLOEXEC);
}

// Reaps every exited child without blocking; records the shell's status when it is among them.
// On Linux the supervisor is a subreaper, so the command's orphaned descendants are its
// children too, and reaping them here lets the group actually become empty.
static void reap_children(pid_t shell, int *shell_status, int *shell_done) {
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            if (pid == shell) {
                *shell_status = status;
                *shell_done = 1;
            }
            continue;
        }
        if (pid < 0 && errno == EINTR) continue;
        return;  // 0: children remain, none exited; -1/ECHILD: none left
    }
}

static _Noreturn void exec_shell(const crb_spawn_request *request, pid_t supervisor) {
    // Own process group, so the supervisor can kill the command and everything it starts
    // with one kill(-pgid), and a Ctrl-C at the engine's terminal reaches the engine, which
    // decides, rather than the command directly.
    (void)setpgid(0, 0);
#ifdef __linux__
    // Defence in depth: should the supervisor itself be SIGKILLed, the shell dies with it.
    // (It does not reach the shell's children; the lifeline is the real mechanism.)
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != supervisor) _exit(127);
#else
    (void)supervisor;
#endif
    // Ignored signals survive exec; the command gets the defaults and an empty mask.
    const int ignored[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE};
    for (unsigned i = 0; i < sizeof ignored / sizeof ignored[0]; i++) set_disposition(ignored[i], SIG_DFL);
    set_disposition(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    execve(request->path, request->argv, request->envp);
    fail_setup(CRB_STAGE_EXEC, errno);
}

// Kills the group and waits until it is empty (or the grace period ends). Returns whether
// the group emptied. Signalling repeatedly also catches a process forked mid-kill.
static int kill_group_and_wait(pid_t pgid, pid_t shell, int *shell_status, int *shell_done) {
    struct timespec step = {0, GROUP_WAIT_STEP_NS};
    for (int i = 0; i < GROUP_WAIT_STEPS; i++) {
        reap_children(shell, shell_status, shell_done);
        if (kill(-pgid, SIGKILL) < 0 && errno == ESRCH) return 1;
        (void)nanosleep(&step, NULL);
    }
    return 0;
}

static _Noreturn void supervisor_main(const crb_spawn_request *request, int devnull, int stdout_w, int stderr_w,
                                      int lifeline_r, int report_w) {
    // All signals are blocked (inherited from the fork). Drop the engine's handlers first:
    // they are code of the engine's that must not run in this copy of it.
    for (int sig = 1; sig < NSIG; sig++) set_disposition(sig, SIG_DFL);
    arrange_descriptors(devnull, stdout_w, stderr_w, lifeline_r, report_w);

    // The supervisor answers only to the lifeline (and SIGKILL): terminal and job-control
    // signals are meant for the engine, which cancels through the lifeline if it wants to.
    set_disposition(SIGINT, SIG_IGN);
    set_disposition(SIGQUIT, SIG_IGN);
    set_disposition(SIGTERM, SIG_IGN);
    set_disposition(SIGHUP, SIG_IGN);
    set_disposition(SIGPIPE, SIG_IGN);

    if (request->working_directory != NULL && chdir(request->working_directory) != 0) {
        fail_setup(CRB_STAGE_CHDIR, errno);
    }

    // Self-pipe: SIGCHLD becomes readable data, so one poll waits for both the lifeline
    // and the command's exit with no race and no busy loop.
    int wake[2];
    if (pipe(wake) != 0) fail_setup(CRB_STAGE_SETUP, errno);
    for (int i = 0; i < 2; i++) {
        (void)fcntl(wake[i], F_SETFD, FD_CLOEXEC);
        (void)fcntl(wake[i], F_SETFL, O_NONBLOCK);
    }
    sigchld_pipe_w = wake[1];
    {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_sigchld;
        action.sa_flags = SA_NOCLDSTOP;
        sigemptyset(&action.sa_mask);
        if (sigaction(SIGCHLD, &action, NULL) != 0) fail_setup(CRB_STAGE_SETUP, errno);
    }
#ifdef __linux__
    // Orphans of the command are re-parented here rather than to init, so we can reap them
    // and know when the group is truly empty.
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
#endif

    pid_t self = getpid();
    pid_t shell = fork();
    if (shell < 0) fail_setup(CRB_STAGE_FORK, errno);
    if (shell == 0) exec_shell(request, self);
    // Also set it from this side, so the group exists before anything below signals it.
    (void)setpgid(shell, shell);
    pid_t pgid = shell;
    write_report(CRB_REPORT_STARTED, pgid, 0, 0);

    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    int shell_status = 0, shell_done = 0, lifeline_lost = 0;
    for (;;) {
        reap_children(shell, &shell_status, &shell_done);
        if (shell_done) break;
        struct pollfd fds[2] = {
            {lifeline_lost ? -1 : SUP_LIFELINE_FD, POLLIN, 0},
            {wake[0], POLLIN, 0},
        };
        if (poll(fds, 2, -1) < 0) continue;  // EINTR from SIGCHLD: reap above
        if (fds[0].revents != 0) {
            char byte;
            ssize_t n = read(SUP_LIFELINE_FD, &byte, 1);
            // EOF (or an error) means the engine closed the lifeline or died. Nobody writes
            // to it, but a stray byte is not a reason to kill anything.
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                lifeline_lost = 1;
                (void)kill(-pgid, SIGKILL);
            }
        }
        if (fds[1].revents != 0) {
            char drain[64];
            while (read(wake[0], drain, sizeof drain) > 0) {
            }
        }
    }

    // The shell is gone. Whatever it left running in its group dies too: a command never
    // outlives its step, let alone the engine.
    int32_t flags = lifeline_lost ? CRB_FLAG_LIFELINE_LOST : 0;
    reap_children(shell, &shell_status, &shell_done);
    if (!lifeline_lost && kill(-pgid, 0) == 0) flags |= CRB_FLAG_LEFTOVERS_KILLED;
    if (!kill_group_and_wait(pgid, shell, &shell_status, &shell_done)) flags |= CRB_FLAG_GROUP_LINGERED;

    if (WIFSIGNALED(shell_status)) {
        write_report(CRB_REPORT_SIGNALED, WTERMSIG(shell_status), 0, flags);
        _exit(128 + WTERMSIG(shell_status));
    }
    int code = WIFEXITED(shell_status) ? WEXITSTATUS(shell_status) : 127;
    write_report(CRB_REPORT_EXITED, code, 0, flags);
    _exit(code);
}
