/* fannkuch-redux: for every permutation of 0..n-1, repeatedly reverse the
 * first (p[0] + 1) elements until p[0] == 0, counting the reversals ("flips").
 * Prints a checksum (flips added for even-numbered permutations, subtracted
 * for odd-numbered ones) and the maximum flip count.  Measures tight integer
 * loops over small arrays (branches, short memory moves).
 *
 * Usage: fannkuch_redux <n>     (3 .. 12)
 * Output: "<checksum>\nPfannkuchen(<n>) = <maxflips>\n"
 * Exit codes: 0 ok, 1 write error, 2 usage error.
 *
 * Permutation order (the checksum depends on it): start from the identity.
 * To step to the next permutation, rotate the first 2 elements left by one;
 * each prefix of length k+1 has a counter that starts at k+1; when the
 * counter of the prefix just rotated runs out, it is reset and the next
 * longer prefix (k+2 elements) is rotated too, and so on.  The sequence ends
 * when the full-length prefix has completed its rotations (n! permutations).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "size_arg.h"

#define N_MIN 3L
#define N_MAX 12L

/* Number of prefix reversals needed until the first element is 0.
 * `start` is not modified. */
static int count_flips(const int *start, int n)
{
    int first = start[0];
    if (first == 0)
        return 0;

    int work[N_MAX];
    memcpy(work, start, (size_t)n * sizeof work[0]);
    int flips = 0;
    do {
        for (int lo = 0, hi = first; lo < hi; lo++, hi--) {
            int tmp = work[lo];
            work[lo] = work[hi];
            work[hi] = tmp;
        }
        flips++;
        first = work[0];
    } while (first != 0);
    return flips;
}

int main(int argc, char **argv)
{
    int n = (int)parse_size(argc, argv, "n", N_MIN, N_MAX);

    int perm[N_MAX];
    int rotations_left[N_MAX]; /* index k: prefix of length k+1 */
    for (int i = 0; i < n; i++) {
        perm[i] = i;
        rotations_left[i] = i + 1;
    }

    long checksum = 0;
    int max_flips = 0;
    int parity = 0; /* 0 for even-numbered permutations, 1 for odd */

    for (;;) {
        int flips = count_flips(perm, n);
        if (flips > max_flips)
            max_flips = flips;
        checksum += parity ? -flips : flips;
        parity ^= 1;

        /* Advance to the next permutation. */
        int k = 1;
        for (;;) {
            int head = perm[0];
            memmove(&perm[0], &perm[1], (size_t)k * sizeof perm[0]);
            perm[k] = head;
            if (--rotations_left[k] > 0)
                break;
            rotations_left[k] = k + 1;
            k++;
            if (k == n)
                goto done;
        }
    }
done:
    printf("%ld\nPfannkuchen(%d) = %d\n", checksum, n, max_flips);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "fannkuch_redux: write error on stdout\n");
        return 1;
    }
    return 0;
}
