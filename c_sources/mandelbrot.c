/* mandelbrot: render the Mandelbrot set on an N x N grid and write it as a
 * binary PBM (P4) image.  Measures double-precision arithmetic (eight pixels
 * per vector group) with data-dependent loop exits, plus a moderately large
 * buffered stdout write.
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
 *
 * Why it is fast: the eight pixels of one output byte are iterated together
 * as one 8-lane vector of doubles (clang vector extension; it becomes two
 * AVX, four SSE2 or four wasm simd128 registers, or eight independent scalar
 * chains without SIMD), so there is no per-pixel branch.  Instead of stopping
 * a pixel at its first escape, each lane has a sticky "escaped" flag: the
 * flag is set by exactly the test in the spec (same operands, same order,
 * evaluated after every iteration) and never cleared.  A lane that has
 * escaped keeps iterating (its values may grow to inf or NaN), but it can
 * no longer change its bit, and a lane that has not escaped computes exactly
 * the iterates of the spec.  So bit = "no test among iterations 1..50 was
 * true", the same as stopping at the first true test.  The group stops when
 * all eight lanes have escaped (checked every second iteration; the extra
 * iteration cannot change any flag) or after 50 iterations.  zr*zr and
 * zi*zi of the escape test are reused by the next iteration, as the spec's
 * values are the same.  Rows are collected into a ~64 KiB buffer so stdout
 * sees few large writes.  Any N works: the row's last group computes up to
 * 7 extra pixels past the edge and their bits are masked to 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "size_arg.h"

#define N_MIN 1L
#define N_MAX 20000L
#define MAX_ITERATIONS 50
#define ESCAPE_RADIUS_SQUARED 4.0
#define CHECK_EVERY 2 /* iterations between "all escaped?" tests; divides 50 */
#define OUTPUT_CHUNK 65536

/* One output byte's pixels: lane k is the pixel for bit (0x80 >> k). */
typedef double f64x8 __attribute__((vector_size(8 * sizeof(double))));
typedef long long i64x8 __attribute__((vector_size(8 * sizeof(long long))));

/* The packed byte for the 8 pixels with real parts cr[0..7] on row ci. */
static unsigned char eight_pixels(const double *cr_row, double ci_value)
{
    f64x8 cr;
    memcpy(&cr, cr_row, sizeof cr);
    const f64x8 ci = (f64x8){0} + ci_value;
    f64x8 zr = {0}, zi = {0}, zr2 = {0}, zi2 = {0}; /* zr2 = zr*zr, zi2 = zi*zi */
    i64x8 escaped = {0};                           /* lane: all ones once escaped */

    for (int done = 0; done < MAX_ITERATIONS; done += CHECK_EVERY) {
        for (int k = 0; k < CHECK_EVERY; k++) {
            zi = (2.0 * zr) * zi + ci; /* uses the old zr, zi */
            zr = (zr2 - zi2) + cr;     /* zr2, zi2: squares of the old zr, zi */
            zr2 = zr * zr;
            zi2 = zi * zi;
            escaped |= (zr2 + zi2) > ESCAPE_RADIUS_SQUARED;
        }
        if (__builtin_reduce_and(escaped) != 0)
            break;
    }

    const i64x8 bit = {0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01};
    return (unsigned char)__builtin_reduce_or(~escaped & bit);
}

int main(int argc, char **argv)
{
    int n = (int)parse_size(argc, argv, "N", N_MIN, N_MAX);
    size_t row_bytes = ((size_t)n + 7) / 8;
    size_t rows_per_chunk = OUTPUT_CHUNK / row_bytes;
    if (rows_per_chunk == 0)
        rows_per_chunk = 1;

    /* Real parts for a whole number of groups (the tail past N is masked). */
    double *cr = malloc(row_bytes * 8 * sizeof *cr);
    unsigned char *chunk = malloc(rows_per_chunk * row_bytes);
    if (cr == NULL || chunk == NULL) {
        fprintf(stderr, "mandelbrot: out of memory\n");
        free(cr);
        free(chunk);
        return 1;
    }
    for (size_t x = 0; x < row_bytes * 8; x++)
        cr[x] = 2.0 * (double)x / n - 1.5;
    const unsigned char last_byte_mask = (unsigned char)(0xFFu << ((8 - n % 8) % 8));

    int status = 0;
    printf("P4\n%d %d\n", n, n);
    size_t rows_in_chunk = 0;
    for (int y = 0; y < n; y++) {
        double ci = 2.0 * y / n - 1.0;
        unsigned char *row = chunk + rows_in_chunk * row_bytes;
        for (size_t byte = 0; byte < row_bytes; byte++)
            row[byte] = eight_pixels(cr + 8 * byte, ci);
        row[row_bytes - 1] &= last_byte_mask;
        if (++rows_in_chunk == rows_per_chunk || y == n - 1) {
            if (fwrite(chunk, row_bytes, rows_in_chunk, stdout) != rows_in_chunk) {
                status = 1;
                break;
            }
            rows_in_chunk = 0;
        }
    }
    free(chunk);
    free(cr);

    if (status != 0 || fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "mandelbrot: write error on stdout\n");
        return 1;
    }
    return 0;
}
