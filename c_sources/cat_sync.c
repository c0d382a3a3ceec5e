/* cat_sync: read a whole file with blocking open(2)/read(2) in 64 KiB chunks
 * and print its length and FNV-1a 64-bit hash.
 *
 * Measures synchronous file-system I/O through the runtime (WASI preopened
 * directory vs. container bind mount).  The hash makes sure every byte is
 * really consumed and lets the harness verify the result.
 *
 * Usage: cat_sync <path>
 * Output: "bytes=<decimal> fnv1a64=<16 lowercase hex digits>\n"
 * Exit codes: 0 ok, 1 I/O error (reason on stderr), 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CHUNK_SIZE (64 * 1024)
#define FNV_OFFSET_BASIS UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

static unsigned char buffer[CHUNK_SIZE];

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '\0') {
        fprintf(stderr, "usage: %s <file>\n", argc > 0 ? argv[0] : "cat_sync");
        return 2;
    }
    const char *path = argv[1];

    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "cat_sync: cannot open '%s': %s\n", path, strerror(errno));
        return 1;
    }

    uint64_t hash = FNV_OFFSET_BASIS;
    uint64_t total = 0;
    for (;;) {
        ssize_t got = read(fd, buffer, sizeof buffer);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "cat_sync: cannot read '%s': %s\n", path, strerror(errno));
            close(fd);
            return 1;
        }
        if (got == 0)
            break;
        for (ssize_t i = 0; i < got; i++) {
            hash ^= buffer[i];
            hash *= FNV_PRIME;
        }
        total += (uint64_t)got;
    }
    if (close(fd) != 0) {
        fprintf(stderr, "cat_sync: cannot close '%s': %s\n", path, strerror(errno));
        return 1;
    }

    printf("bytes=%" PRIu64 " fnv1a64=%016" PRIx64 "\n", total, hash);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cat_sync: write error on stdout\n");
        return 1;
    }
    return 0;
}
