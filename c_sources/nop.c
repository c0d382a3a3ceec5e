/* nop: the smallest possible program. Measures pure start-up and tear-down
 * cost of a runtime (instantiate, run _start, exit) with no work and no I/O. */
int main(void) { return 0; }
