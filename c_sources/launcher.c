/* launcher: not a benchmark; starts one program and measures it from a tiny process.
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
 *   launcher                       block forever: PID 1 of a warm container (FROM scratch
 *       has no shell); removal kills it with SIGKILL.
 * The child dies with the launcher (PR_SET_PDEATHSIG), so killing the launcher on a timeout
 * leaves nothing behind. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
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

int main(int argc, char **argv) {
    if (argc < 2) {
        for (;;) pause();
    }
    if (argc < 3) {
        fputs("usage: launcher PATH ARGV0 [ARGS...]\n", stderr);
        return 126;
    }
    int report_fd = fcntl(3, F_GETFD) >= 0 ? 3 : -1;
    if (report_fd >= 0) fcntl(report_fd, F_SETFD, FD_CLOEXEC);
    long long start = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        perror("launcher: fork");
        return 126;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execv(argv[1], argv + 2);
        perror(argv[1]);
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) {
        perror("launcher: wait4");
        return 126;
    }
    long long end = now_ns();
    long long cpu = ((long long)usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000LL
                    + ((long long)usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000LL;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    dprintf(report_fd >= 0 ? report_fd : 2,
            "%sfaasbench-launch start_ns=%lld end_ns=%lld cpu_ns=%lld peak_rss=%lld exit=%d "
            "signal=%d\n", report_fd >= 0 ? "" : "\n", start, end, cpu,
            (long long)usage.ru_maxrss * 1024, code, sig);
    return sig ? 128 + sig : code;
}
