/* Allocates until malloc fails: shows the wasm memory cap. The blocks are chained so the
   compiler cannot elide the allocations. */
#include <stdio.h>
#include <stdlib.h>
int main(void) {
    void **head = NULL;
    unsigned long total = 0;
    for (;;) {
        void **block = malloc(1 << 20);
        if (!block) {
            printf("malloc failed after %lu MiB (%p)\n", total, (void *)head);
            return 4;
        }
        *block = head;
        head = block;
        total++;
    }
}
