/* size_arg.h: the single size argument every sized benchmark takes, checked the same way.
 *
 * A missing, non-numeric or out-of-range argument prints why on stderr and exits 2, the
 * status faasbench reports as bad input. */
#ifndef FAASBENCH_SIZE_ARG_H
#define FAASBENCH_SIZE_ARG_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* argv[1] as a long in lo..hi; `what` names it in messages (e.g. "steps"). */
static long parse_size(int argc, char **argv, const char *what, long lo, long hi)
{
    const char *prog = argc > 0 ? argv[0] : "benchmark";
    if (argc != 2) {
        fprintf(stderr, "usage: %s <%s>   (integer %ld..%ld)\n", prog, what, lo, hi);
        exit(2);
    }
    char *end = NULL;
    errno = 0;
    long value = strtol(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || errno == ERANGE) {
        fprintf(stderr, "%s: %s must be an integer, got '%s'\n", prog, what, argv[1]);
        exit(2);
    }
    if (value < lo || value > hi) {
        fprintf(stderr, "%s: %s must be in %ld..%ld, got %ld\n", prog, what, lo, hi, value);
        exit(2);
    }
    return value;
}

#endif
