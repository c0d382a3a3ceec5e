/* Prints nbody 1000's output only when it starts from a fresh instance: it counts its runs in
   static memory and checks that the memory it dirtied before (static data, and heap beyond
   the initial pages) reads zero. A host that let one request see another's memory makes it
   say what it found instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAP_BYTES (4u << 20)

static int runs;
static unsigned char scratch[64 * 1024];

int main(void) {
    unsigned char *heap = malloc(HEAP_BYTES);
    if (!heap) {
        printf("malloc failed\n");
        return 4;
    }
    volatile unsigned char *seen = heap, *old = scratch;
    unsigned long dirty = 0;
    for (unsigned long i = 0; i < sizeof scratch; i++) dirty += old[i] != 0;
    for (unsigned long i = 0; i < HEAP_BYTES; i++) dirty += seen[i] != 0;
    runs++;
    memset(scratch, 0xaa, sizeof scratch);
    memset(heap, 0xaa, HEAP_BYTES);
    if (runs != 1 || dirty != 0) {
        printf("state leaked: run %d saw %lu dirty bytes\n", runs, dirty);
        return 0;
    }
    printf("-0.169075164\n-0.169087605\n");
    return 0;
}
