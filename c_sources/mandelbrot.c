/* mandelbrot: render the Mandelbrot set on an N x N grid and write it as a
 * binary PBM (P4) image.  Measures scalar double-precision arithmetic with
 * data-dependent loop exits, plus a moderately large buffered stdout write.
 *
 * Usage: mandelbrot <N>     (1 .. 20000)
 * Output: "P4\n<N> <N>\n" then N rows of ceil(N/8) bytes, most significant
 *         bit first; a bit is 1 when the pixel is in the set; each row is
 *         padded with 0 bits to a whole byte.
 * Exit codes: 0 ok, 1 write error or out of memory, 2 usage error.
 *
 * Exact arithmetic (mirrored bit-for-bit by engine/references.py; build
 * with -ffp-contract=off, no -ffast-math):
 *   cr = ((2.0 * x) / N) - 1.5        ci = ((2.0 * y) / N) - 1.0
 *   zr = zi = 0.0
 *   repeat at most 50 times:
 *     new_zr = ((zr * zr) - (zi * zi)) + cr
 *     new_zi = ((2.0 * zr) * zi) + ci
 *     zr = new_zr; zi = new_zi
 *     if ((zr * zr) + (zi * zi)) > 4.0: the point escaped (bit 0), stop
 *   a point that never escaped is in the set (bit 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "size_arg.h"

#define N_MIN 1L
#define N_MAX 20000L
#define MAX_ITERATIONS 50
#define ESCAPE_RADIUS_SQUARED 4.0

static int in_set(double cr, double ci)
{
    double zr = 0.0, zi = 0.0;
    for (int i = 0; i < MAX_ITERATIONS; i++) {
        double new_zr = zr * zr - zi * zi + cr;
        double new_zi = 2.0 * zr * zi + ci;
        zr = new_zr;
        zi = new_zi;
        if (zr * zr + zi * zi > ESCAPE_RADIUS_SQUARED)
            return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    int n = (int)parse_size(argc, argv, "N", N_MIN, N_MAX);
    size_t row_bytes = ((size_t)n + 7) / 8;

    unsigned char *row = malloc(row_bytes);
    if (row == NULL) {
        fprintf(stderr, "mandelbrot: out of memory\n");
        return 1;
    }

    printf("P4\n%d %d\n", n, n);
    for (int y = 0; y < n; y++) {
        double ci = 2.0 * y / n - 1.0;
        memset(row, 0, row_bytes);
        for (int x = 0; x < n; x++) {
            double cr = 2.0 * x / n - 1.5;
            if (in_set(cr, ci))
                row[x >> 3] |= (unsigned char)(0x80u >> (x & 7));
        }
        if (fwrite(row, 1, row_bytes, stdout) != row_bytes) {
            fprintf(stderr, "mandelbrot: write error on stdout\n");
            free(row);
            return 1;
        }
    }
    free(row);

    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "mandelbrot: write error on stdout\n");
        return 1;
    }
    return 0;
}
