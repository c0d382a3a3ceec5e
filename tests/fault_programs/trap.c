/* Traps on every runtime: wasm `unreachable`, SIGILL natively. */
int main(void) { __builtin_trap(); }
