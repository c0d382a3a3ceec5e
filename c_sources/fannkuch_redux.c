/* fannkuch-redux: for every permutation of 0..n-1, repeatedly reverse the
 * first (p[0] + 1) elements until p[0] == 0, counting the reversals ("flips").
 * Prints a checksum (flips added for even-numbered permutations, subtracted
 * for odd-numbered ones) and the maximum flip count.  Measures tight integer
 * loops (shifts, masks, branches) on a permutation held in one register.
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
 *
 * Why it is fast: n <= 12 < 16, so a whole permutation fits in one 64-bit
 * word, four bits per element (element i in bits 4i..4i+3).  A flip of the
 * first k elements is then branch-free arithmetic instead of a loop of
 * variable length over an array: reverse the order of all 16 nibbles
 * (swap the 32-bit halves, then 16-bit, 8-bit and 4-bit fields), shift the
 * reversed prefix down into place and merge it with the untouched high part
 * of the original word.  The rotations that step to the next permutation
 * are shifts and masks on the same word.  The counting itself (which
 * permutation, how many flips) is exactly the rule above.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "size_arg.h"

#define N_MIN 3L
#define N_MAX 12L

#define NIBBLE 4
#define LOW_NIBBLE 0xFu

/* x with the order of its 16 nibbles reversed (nibble i moves to 15 - i). */
static inline uint64_t reverse_nibbles(uint64_t x)
{
    x = (x >> 32) | (x << 32);
    x = ((x >> 16) & 0x0000FFFF0000FFFFull) | ((x & 0x0000FFFF0000FFFFull) << 16);
    x = ((x >> 8) & 0x00FF00FF00FF00FFull) | ((x & 0x00FF00FF00FF00FFull) << 8);
    return ((x >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((x & 0x0F0F0F0F0F0F0F0Full) << 4);
}

/* Number of prefix reversals until the first element of perm is 0. */
static inline int count_flips(uint64_t perm)
{
    int flips = 0;
    unsigned first = (unsigned)(perm & LOW_NIBBLE);
    while (first != 0) {
        /* Reverse the first (first + 1) elements: (first + 1) nibbles. */
        unsigned prefix_bits = NIBBLE * (first + 1); /* 8 .. 48 */
        uint64_t reversed_prefix = reverse_nibbles(perm) >> (64 - prefix_bits);
        perm = reversed_prefix | ((perm >> prefix_bits) << prefix_bits);
        flips++;
        first = (unsigned)(perm & LOW_NIBBLE);
    }
    return flips;
}

int main(int argc, char **argv)
{
    int n = (int)parse_size(argc, argv, "n", N_MIN, N_MAX);

    uint64_t perm = 0;         /* element i in nibble i; starts as the identity */
    int rotations_left[N_MAX]; /* index k: prefix of length k+1 */
    for (int i = 0; i < n; i++) {
        perm |= (uint64_t)i << (NIBBLE * i);
        rotations_left[i] = i + 1;
    }

    long checksum = 0;
    int max_flips = 0;
    int parity = 0; /* 0 for even-numbered permutations, 1 for odd */

    for (;;) {
        int flips = count_flips(perm);
        if (flips > max_flips)
            max_flips = flips;
        checksum += parity ? -flips : flips;
        parity ^= 1;

        /* Advance to the next permutation. */
        int k = 1;
        for (;;) {
            /* Rotate the prefix of length k+1 left by one: element 0 moves
             * to position k, elements 1..k move down one place. */
            uint64_t prefix_mask = ((uint64_t)1 << (NIBBLE * (k + 1))) - 1;
            uint64_t prefix = perm & prefix_mask;
            perm = (perm & ~prefix_mask) | (prefix >> NIBBLE) |
                   ((prefix & LOW_NIBBLE) << (NIBBLE * k));
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
