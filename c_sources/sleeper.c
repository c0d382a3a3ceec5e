/* sleeper: not a benchmark; the host of a warm Docker container (FROM scratch has no shell).
 *
 * Without arguments it is PID 1 and blocks until the container is removed (PID 1 gets no
 * default signal handlers, so removal uses SIGKILL). With arguments it is what each
 * `docker exec` runs: it starts the program named by argv[1], waits for it and appends one
 * line "faasbench-peak-rss <bytes>" to stderr, so the program's own peak is known (the
 * container's cgroup would also count runc's exec helper). Exit status is the program's. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        for (;;) pause();
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 126;
    }
    if (pid == 0) {
        execv(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) {
        perror("wait4");
        return 126;
    }
    fprintf(stderr, "\nfaasbench-peak-rss %lld\n", (long long)usage.ru_maxrss * 1024);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
