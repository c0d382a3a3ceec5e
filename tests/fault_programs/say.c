/* Copies the file `say` in its data directory to stdout and writes its length to stderr:
   a test changes the file between requests to see that each output holds one request's. */
#include <stdio.h>
int main(void) {
    FILE *in = fopen("/workspace/say", "rb");
    if (!in) {
        fputs("no say file\n", stderr);
        return 2;
    }
    unsigned long length = 0;
    int c;
    while ((c = fgetc(in)) != EOF) {
        putchar(c);
        length++;
    }
    fprintf(stderr, "%lu\n", length);
    return 0;
}
