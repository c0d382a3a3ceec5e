/* Exits with a non-zero status and a message, like a guest that rejects its input. */
#include <stdio.h>
int main(void) { fputs("bad input\n", stderr); return 3; }
