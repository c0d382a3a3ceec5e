/* binary-trees: build, walk and free many perfect binary trees, one node per
 * malloc().  Measures the allocator (malloc/free of small blocks), pointer
 * chasing and recursion.
 *
 * Usage: binary_trees <n>    (4 .. 24; max_depth = max(min_depth + 2, n))
 * Output (check = number of nodes in a tree, counted by walking it):
 *   "stretch tree of depth <max_depth+1>\t check: <check>\n"
 *   for d = min_depth; d <= max_depth; d += 2:
 *     "<iterations>\t trees of depth <d>\t check: <sum of checks>\n"
 *     with iterations = 1 << (max_depth - d + min_depth)
 *   "long lived tree of depth <max_depth>\t check: <check>\n"
 * Exit codes: 0 ok, 1 write error, 2 usage error, 3 out of memory.
 *
 * Allocation pattern (the point of the benchmark, kept as is): every node
 * is its own malloc() and its own free(); a tree is allocated top-down
 * (node, then its left subtree, then its right subtree) and freed bottom-up
 * (left subtree, right subtree, then the node); the long-lived tree stays
 * allocated while all the other trees come and go.
 *
 * Why it is fast: almost all the time is spent in malloc/free, so the rest
 * is kept lean.  A tree is walked once, not twice: the walk that counts the
 * nodes also frees each node after its subtrees (the same free order as a
 * separate count pass followed by a free pass).  The recursion stops one
 * level above the leaves: a node whose children are leaves allocates,
 * counts and frees them inline, which removes the function calls for half
 * of the nodes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "size_arg.h"

#define N_MIN 4L
#define N_MAX 24L
#define MIN_DEPTH 4

struct node {
    struct node *left;  /* NULL in a leaf */
    struct node *right; /* NULL in a leaf */
};

static struct node *new_node(void)
{
    struct node *t = malloc(sizeof *t);
    if (t == NULL) {
        fputs("out of memory\n", stderr);
        exit(3);
    }
    return t;
}

/* A perfect tree of the given depth >= 1 (depth 0 would be a single leaf). */
static struct node *build(int depth)
{
    struct node *t = new_node();
    if (depth > 1) {
        t->left = build(depth - 1);
        t->right = build(depth - 1);
    } else {
        struct node *left = new_node();
        left->left = left->right = NULL;
        t->left = left;
        struct node *right = new_node();
        right->left = right->right = NULL;
        t->right = right;
    }
    return t;
}

/* Number of nodes of a tree of depth >= 1, freeing each node once its
 * subtrees are done. */
static long long count_and_free(struct node *t)
{
    long long count = 1;
    struct node *left = t->left, *right = t->right;
    if (left->left != NULL) {
        count += count_and_free(left);
    } else {
        count += 1;
        free(left);
    }
    if (right->left != NULL) {
        count += count_and_free(right);
    } else {
        count += 1;
        free(right);
    }
    free(t);
    return count;
}

int main(int argc, char **argv)
{
    int n = (int)parse_size(argc, argv, "n", N_MIN, N_MAX);
    int max_depth = n > MIN_DEPTH + 2 ? n : MIN_DEPTH + 2;

    {
        int stretch_depth = max_depth + 1;
        struct node *stretch = build(stretch_depth);
        printf("stretch tree of depth %d\t check: %lld\n", stretch_depth, count_and_free(stretch));
    }

    struct node *long_lived = build(max_depth);

    for (int d = MIN_DEPTH; d <= max_depth; d += 2) {
        long long iterations = 1LL << (max_depth - d + MIN_DEPTH);
        long long total = 0;
        for (long long i = 0; i < iterations; i++)
            total += count_and_free(build(d));
        printf("%lld\t trees of depth %d\t check: %lld\n", iterations, d, total);
    }

    printf("long lived tree of depth %d\t check: %lld\n", max_depth, count_and_free(long_lived));

    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "binary_trees: write error on stdout\n");
        return 1;
    }
    return 0;
}
