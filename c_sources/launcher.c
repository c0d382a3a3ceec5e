/* launcher: not a benchmark; starts programs and measures them from a tiny process.
 *
 * A child created by fork or vfork inherits its parent's RSS high-water mark, so wait4 in a
 * large parent (the Python worker) reports the parent's peak for small programs. Started from
 * this static, few-KiB launcher, the figure is the program's own.
 *
 *   launcher PATH ARGV0 [ARGS...]  run PATH with argv ARGV0 ARGS..., wait for it, then write
 *       "faasbench-launch start_ns=S end_ns=E cpu_ns=C peak_rss=P exit=X signal=G\n" to fd 3 when
 *       it is open, else to stderr after a newline (docker exec). S and E are CLOCK_MONOTONIC
 *       (comparable with Python's perf_counter_ns); X is the exit code (or -1) and G the
 *       killing signal (or 0). The launcher exits with the code, or 128 + the signal.
 *   launcher --serve DIR PATH ARGV0 [ARGS...]  PID 1 of a warm container: for each byte read
 *       from the FIFO DIR/request, truncate DIR/stdout and DIR/stderr, run PATH as above with
 *       fds 1 and 2 on them (fd 0 stays the container's /dev/null) and write the same report
 *       line to the FIFO DIR/reply. No daemon is involved per request. Ends when the request
 *       FIFO has no writer left (the worker is gone).
 *   launcher                       block forever: PID 1 of a `docker exec` warm container
 *       (FROM scratch has no shell); removal kills it with SIGKILL.
 * The child dies with the launcher (PR_SET_PDEATHSIG), so killing the launcher on a timeout
 * leaves nothing behind. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Run prog[0] with argv prog+1 (fds 1 and 2 on out and err when out >= 0), wait for it and
 * write the report line to report_fd in one write (a FIFO reader gets it whole). Returns the
 * launcher's exit status for it, or -1 when the program could not be run or measured. */
static int run(char **prog, int out, int err, int report_fd, const char *prefix) {
    long long start = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        perror("launcher: fork");
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (out >= 0 && (dup2(out, 1) < 0 || dup2(err, 2) < 0)) _exit(127);
        execv(prog[0], prog + 1);
        perror(prog[0]);
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) {
        perror("launcher: wait4");
        return -1;
    }
    long long end = now_ns();
    long long cpu = ((long long)usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000LL
                    + ((long long)usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000LL;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    char line[256];
    int n = snprintf(line, sizeof line,
                     "%sfaasbench-launch start_ns=%lld end_ns=%lld cpu_ns=%lld peak_rss=%lld "
                     "exit=%d signal=%d\n", prefix, start, end, cpu,
                     (long long)usage.ru_maxrss * 1024, code, sig);
    if (write(report_fd, line, n) != n) perror("launcher: report");
    return sig ? 128 + sig : code;
}

static void join(char *buf, size_t size, const char *dir, const char *name) {
    snprintf(buf, size, "%s/%s", dir, name);
}

static int serve(const char *dir, char **prog) {
    char request[4096], reply[4096], out[4096], err[4096];
    join(request, sizeof request, dir, "request");
    join(reply, sizeof reply, dir, "reply");
    join(out, sizeof out, dir, "stdout");
    join(err, sizeof err, dir, "stderr");
    int req = open(request, O_RDONLY | O_CLOEXEC);
    int rep = open(reply, O_WRONLY | O_CLOEXEC);
    if (req < 0 || rep < 0) {
        perror("launcher: request/reply FIFO");
        return 126;
    }
    char byte;
    while (read(req, &byte, 1) == 1) {
        int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
        int out_fd = open(out, flags, 0644), err_fd = open(err, flags, 0644);
        if (out_fd < 0 || err_fd < 0) {
            perror("launcher: output files");
            return 126;
        }
        int status = run(prog, out_fd, err_fd, rep, "");
        close(out_fd);
        close(err_fd);
        if (status < 0) return 126;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        for (;;) pause();
    }
    if (strcmp(argv[1], "--serve") == 0) {
        if (argc < 5) {
            fputs("usage: launcher --serve DIR PATH ARGV0 [ARGS...]\n", stderr);
            return 126;
        }
        return serve(argv[2], argv + 3);
    }
    if (argc < 3) {
        fputs("usage: launcher PATH ARGV0 [ARGS...]\n", stderr);
        return 126;
    }
    int report_fd = fcntl(3, F_GETFD) >= 0 ? 3 : -1;
    if (report_fd >= 0) fcntl(report_fd, F_SETFD, FD_CLOEXEC);
    int status = run(argv + 1, -1, -1, report_fd >= 0 ? report_fd : 2,
                     report_fd >= 0 ? "" : "\n");
    return status < 0 ? 126 : status;
}
