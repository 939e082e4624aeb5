#ifndef CRUNBOOK_SUPERVISOR_H
#define CRUNBOOK_SUPERVISOR_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Supervised commands: a command that never outlives the engine.
 *
 *   engine ──fork──> supervisor ──fork──> /bin/sh -c CMD   (new process group, pgid = its pid)
 *     │  lifeline (pipe) ──────────>│                      └─> everything CMD starts
 *     └<──────────────── report pipe┘
 *
 * The engine keeps the only write end of the lifeline. When it is closed — the engine
 * cancels, or the engine dies in any way, SIGKILL included, because the kernel closes a
 * dead process's descriptors — the supervisor sees EOF and SIGKILLs the command's whole
 * process group. When the command exits on its own, the supervisor also kills whatever it
 * left running in its group, waits for the group to be empty, then reports and exits.
 * The supervisor ignores SIGINT, SIGQUIT, SIGTERM and SIGHUP (those are for the engine,
 * which cancels through the lifeline if it wants the command gone) and, on Linux, is a
 * subreaper so it can reap the command's orphans and know when the group is empty.
 * The command gets default signal dispositions, an empty mask, stdin from /dev/null, and
 * no descriptor of the engine's but its stdout and stderr pipes.
 * The supervisor is a forked copy of a multithreaded process, so it uses only
 * async-signal-safe calls (no malloc, no stdio, no locks).
 */

/** What to run. Everything must stay valid until `crb_spawn_supervised` returns. */
typedef struct {
    /** The executable: "/bin/sh". */
    const char *path;
    /** NULL-terminated. */
    char *const *argv;
    /** NULL-terminated: the command's whole environment. */
    char *const *envp;
    /** The command's working directory; NULL to inherit the engine's. */
    const char *working_directory;
} crb_spawn_request;

/** A started command, as the engine holds it. Every descriptor is O_CLOEXEC. */
typedef struct {
    pid_t supervisor_pid;
    /** Write end of the lifeline. Close it to kill the command's process group. */
    int lifeline_fd;
    /** Read ends of the command's stdout and stderr (its stdin is /dev/null). */
    int stdout_fd;
    int stderr_fd;
    /** Read end of the supervisor's `crb_report` records; EOF once the supervisor has exited. */
    int report_fd;
} crb_supervised_process;

/** One record the supervisor writes to the report pipe (a single atomic write). */
typedef struct {
    int32_t kind;
    /** STARTED: the command's pgid. EXITED: its exit code. SIGNALED: the signal. FAILED: a CRB_STAGE_*. */
    int32_t value;
    /** FAILED: errno. */
    int32_t error;
    /** EXITED, SIGNALED: CRB_FLAG_* bits. */
    int32_t flags;
} crb_report;

static const int32_t CRB_REPORT_STARTED = 1;
static const int32_t CRB_REPORT_EXITED = 2;
static const int32_t CRB_REPORT_SIGNALED = 3;
static const int32_t CRB_REPORT_FAILED = 4;

/** Where a launch failed (the FAILED report's value). */
static const int32_t CRB_STAGE_SETUP = 1;
static const int32_t CRB_STAGE_CHDIR = 2;
static const int32_t CRB_STAGE_FORK = 3;
static const int32_t CRB_STAGE_EXEC = 4;

/** The lifeline was closed before the command exited: the supervisor killed its group. */
static const int32_t CRB_FLAG_LIFELINE_LOST = 1;
/** The command exited, leaving processes in its group; they were killed. */
static const int32_t CRB_FLAG_LEFTOVERS_KILLED = 2;
/** Some process in the group could not be killed (it changed user, say) within the grace period. */
static const int32_t CRB_FLAG_GROUP_LINGERED = 4;

/**
 * Starts `request` under a supervisor (see above). Returns 0 and fills `process`, or an
 * errno value if the pipes or the supervisor could not be created. Failures after that
 * (bad working directory, exec) arrive as a FAILED report.
 * The caller must close the four descriptors and reap `supervisor_pid` with waitpid.
 */
int crb_spawn_supervised(const crb_spawn_request *request, crb_supervised_process *process);

/* waitpid status decoding: the W* macros do not import into Swift. */

/** The exit code if `status` is a normal exit, else -1. */
int crb_wait_exit_code(int status);
/** The terminating signal if `status` is a death by signal, else -1. */
int crb_wait_term_signal(int status);

#endif
