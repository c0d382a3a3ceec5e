/* Never finishes: only the per-iteration timeout can stop it. */
int main(void) { volatile unsigned long n = 0; for (;;) n++; }
