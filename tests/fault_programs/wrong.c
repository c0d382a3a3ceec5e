/* Prints nbody-shaped output with a wrong second line. */
#include <stdio.h>
int main(void) { printf("-0.169075164\n-0.169087600\n"); return 0; }
