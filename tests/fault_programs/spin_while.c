/* Spins while a file named `spin` is in its data directory, else prints nbody 1000's output:
   a test removes the file to let the next request through. */
#include <stdio.h>
#include <unistd.h>
int main(void) {
    volatile unsigned long n = 0;
    while (access("/workspace/spin", F_OK) == 0) n++;
    printf("-0.169075164\n-0.169087605\n");
    return 0;
}
