/* binary-trees: build, walk and free many perfect binary trees, one node per
 * malloc().  Measures the allocator (malloc/free of small blocks), pointer
 * chasing and recursion.
 *
 * Usage: binary_trees <n>    (4 .. 24; max_depth = max(min_depth + 2, n))
 * Output (check = number of nodes in a tree):
 *   "stretch tree of depth <max_depth+1>\t check: <check>\n"
 *   for d = min_depth; d <= max_depth; d += 2:
 *     "<iterations>\t trees of depth <d>\t check: <sum of checks>\n"
 *     with iterations = 1 << (max_depth - d + min_depth)
 *   "long lived tree of depth <max_depth>\t check: <check>\n"
 * Exit codes: 0 ok, 1 write error, 2 usage error, 3 out of memory.
 */
#include <stdio.h>
#include <stdlib.h>

#include "size_arg.h"

#define N_MIN 4L
#define N_MAX 24L
#define MIN_DEPTH 4

struct node {
    struct node *left;
    struct node *right;
};

/* A perfect tree of the given depth (depth 0 = a single leaf). */
static struct node *build(int depth)
{
    struct node *t = malloc(sizeof *t);
    if (t == NULL) {
        fputs("out of memory\n", stderr);
        exit(3);
    }
    if (depth > 0) {
        t->left = build(depth - 1);
        t->right = build(depth - 1);
    } else {
        t->left = NULL;
        t->right = NULL;
    }
    return t;
}

static long long count_nodes(const struct node *t)
{
    if (t->left == NULL)
        return 1;
    return 1 + count_nodes(t->left) + count_nodes(t->right);
}

static void destroy(struct node *t)
{
    if (t->left != NULL) {
        destroy(t->left);
        destroy(t->right);
    }
    free(t);
}

int main(int argc, char **argv)
{
    int n = (int)parse_size(argc, argv, "n", N_MIN, N_MAX);
    int max_depth = n > MIN_DEPTH + 2 ? n : MIN_DEPTH + 2;

    {
        int stretch_depth = max_depth + 1;
        struct node *stretch = build(stretch_depth);
        printf("stretch tree of depth %d\t check: %lld\n", stretch_depth, count_nodes(stretch));
        destroy(stretch);
    }

    struct node *long_lived = build(max_depth);

    for (int d = MIN_DEPTH; d <= max_depth; d += 2) {
        long long iterations = 1LL << (max_depth - d + MIN_DEPTH);
        long long total = 0;
        for (long long i = 0; i < iterations; i++) {
            struct node *t = build(d);
            total += count_nodes(t);
            destroy(t);
        }
        printf("%lld\t trees of depth %d\t check: %lld\n", iterations, d, total);
    }

    printf("long lived tree of depth %d\t check: %lld\n", max_depth, count_nodes(long_lived));
    destroy(long_lived);

    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "binary_trees: write error on stdout\n");
        return 1;
    }
    return 0;
}
