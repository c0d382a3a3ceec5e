/* Warm wasmtime requests served by a loop in C (see loop.py).
 *
 * Each request does what LeanRequests does from Python, with nothing between the calls into
 * Wasmtime's C API: empty the output files, a fresh store (memory limit, fuel), a WASI
 * context (argv, the read-only preopen, stdout and stderr written straight to the output
 * files), an instance from the InstancePre, `_start`, the memory size and fuel read back, and
 * the store deleted. Requests follow one another until one needs Python's judgement (it
 * failed, or printed something, or its reference is not empty) or the time budget is spent:
 * every request before the last is then known to be correct, and the output files still hold
 * the last one's output.
 *
 * The C API's functions come as pointers from the libwasmtime that wasmtime-py loaded, and its
 * structs (instance, extern) as memory wasmtime-py's own ctypes types allocated, so this file
 * needs no wasmtime header. The signatures below are those of the wasmtime-py faasbench pins;
 * loop.check_api compares their arity with wasmtime-py's declarations before use.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

typedef void *(*store_new_fn)(void *engine, void *data, void (*finalizer)(void *));
typedef void *(*store_context_fn)(void *store);
typedef void (*store_limiter_fn)(void *store, int64_t memory, int64_t table_elements,
                                 int64_t instances, int64_t tables, int64_t memories);
typedef void (*store_delete_fn)(void *store);
typedef void *(*set_fuel_fn)(void *context, uint64_t fuel);
typedef void *(*get_fuel_fn)(void *context, uint64_t *fuel);
typedef void *(*wasi_new_fn)(void);
typedef bool (*wasi_argv_fn)(void *wasi, size_t argc, const char *const *argv);
typedef ptrdiff_t (*output_fn)(void *data, const unsigned char *bytes, size_t length);
typedef void (*wasi_output_fn)(void *wasi, output_fn write, void *data, void (*finalizer)(void *));
typedef bool (*wasi_preopen_fn)(void *wasi, const char *host, const char *guest, bool writable);
typedef void (*wasi_delete_fn)(void *wasi);
typedef void *(*set_wasi_fn)(void *context, void *wasi);
typedef void *(*instantiate_fn)(void *pre, void *context, void *instance, void **trap);
typedef bool (*export_get_fn)(void *context, void *instance, const char *name, size_t length,
                              void *item);
typedef void *(*call_fn)(void *context, void *func, void *args, size_t nargs, void *results,
                         size_t nresults, void **trap);
typedef size_t (*memory_size_fn)(void *context, void *memory);
typedef bool (*exit_status_fn)(void *error, int *status);
typedef void (*error_delete_fn)(void *error);

/* The C API functions, in this order (wasmtime_lean.C_API). */
struct api {
    store_new_fn store_new;
    store_context_fn store_context;
    store_limiter_fn store_limiter;
    store_delete_fn store_delete;
    set_fuel_fn set_fuel;
    get_fuel_fn get_fuel;
    wasi_new_fn wasi_new;
    wasi_argv_fn wasi_argv;
    wasi_output_fn wasi_stdout;
    wasi_output_fn wasi_stderr;
    wasi_preopen_fn wasi_preopen;
    wasi_delete_fn wasi_delete;
    set_wasi_fn set_wasi;
    instantiate_fn instantiate;
    export_get_fn export_get;
    call_fn call;
    memory_size_fn memory_size;
    exit_status_fn exit_status;
    error_delete_fn error_delete;
};

/* A guest's stdout or stderr: its file, and how much the current request wrote to it (counted
 * here, so that neither emptying the file nor checking its size costs a system call). */
struct output {
    int64_t fd, written;
};

/* What every request of one function shares (loop._Function). */
struct function {
    void *engine, *pre;
    size_t argc;
    const char *const *argv;
    const char *host_dir, *guest_dir;
    int64_t memory_limit;
    uint64_t fuel_budget; /* 0: no fuel metering */
    int32_t has_memory;
    struct output out, err;
    void *instance, *item, *func, *memory; /* wasmtime_instance_t, wasmtime_extern_t, and
                                              the func and memory inside the extern */
};

/* Per request, one value each (-1: none). */
struct columns {
    int64_t *wall_ns, *cpu_ns, *instantiate_ns, *execute_ns, *teardown_ns, *memory_bytes,
        *fuel;
};

enum stage { RAN = 0, SETUP_FAILED = 1, PREOPEN_FAILED = 2, INSTANTIATION_FAILED = 3 };

/* How the last request ended; every earlier one ran, exited 0 and printed nothing. */
struct last {
    int32_t stage, exit_code; /* exit_code -1: none (a trap or an error) */
    void *error, *trap;       /* for Python to describe and free */
};

static int64_t clock_ns(clockid_t clock) {
    struct timespec now;
    clock_gettime(clock, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* WASI's custom output: bytes written, or minus the errno, as wasmtime expects. */
static ptrdiff_t write_output(void *data, const unsigned char *bytes, size_t length) {
    struct output *output = data;
    ssize_t written = write((int)output->fd, bytes, length);
    if (written < 0)
        return -errno;
    output->written += written;
    return written;
}

static void empty(struct output *output) {
    if (output->written) {
        (void)!ftruncate((int)output->fd, 0);
        output->written = 0;
    }
}

/* Set up the store's WASI context; false (with `last` saying why) when it cannot be. */
static bool give_wasi(const struct api *api, struct function *fn, void *context,
                      struct last *last) {
    void *wasi = api->wasi_new();
    api->wasi_argv(wasi, fn->argc, fn->argv);
    api->wasi_stdout(wasi, write_output, &fn->out, NULL);
    api->wasi_stderr(wasi, write_output, &fn->err, NULL);
    if (!api->wasi_preopen(wasi, fn->host_dir, fn->guest_dir, false)) {
        api->wasi_delete(wasi);
        last->stage = PREOPEN_FAILED;
        return false;
    }
    last->error = api->set_wasi(context, wasi); /* takes the config, even when it fails */
    if (last->error)
        last->stage = SETUP_FAILED;
    return !last->error;
}

/* Instantiate and run `_start` in a fresh store's context, filling in request `i`; its
 * instantiate phase began at `t0`. */
static void run(const struct api *api, struct function *fn, void *context,
                const struct columns *cols, int i, int64_t t0, struct last *last) {
    void *trap = NULL;
    if (fn->fuel_budget && (last->error = api->set_fuel(context, fn->fuel_budget))) {
        last->stage = SETUP_FAILED;
        return;
    }
    if (!give_wasi(api, fn, context, last))
        return;
    last->error = api->instantiate(fn->pre, context, fn->instance, &trap);
    if (last->error || trap) {
        last->trap = trap;
        last->stage = INSTANTIATION_FAILED;
        return;
    }
    int64_t t1 = clock_ns(CLOCK_MONOTONIC);
    api->export_get(context, fn->instance, "_start", 6, fn->item);
    void *error = api->call(context, fn->func, NULL, 0, NULL, 0, &trap);
    int64_t t2 = clock_ns(CLOCK_MONOTONIC);
    cols->instantiate_ns[i] = t1 - t0;
    cols->execute_ns[i] = t2 - t1;
    int status;
    if (trap) {
        last->trap = trap;
    } else if (error && api->exit_status(error, &status)) {
        api->error_delete(error);
        last->exit_code = status;
    } else if (error) {
        last->error = error;
    } else {
        last->exit_code = 0;
    }
    if (fn->has_memory && api->export_get(context, fn->instance, "memory", 6, fn->item))
        cols->memory_bytes[i] = (int64_t)api->memory_size(context, fn->memory);
    uint64_t left;
    void *unread = fn->fuel_budget ? api->get_fuel(context, &left) : NULL;
    if (unread && last->error)
        api->error_delete(unread);
    else if (unread) /* the request fails for it, as it would from Python */
        last->error = unread;
    else if (fn->fuel_budget)
        cols->fuel[i] = (int64_t)(fn->fuel_budget - left);
}

/* One request, from emptying the output files to its store's deletion. */
static void serve_one(const struct api *api, struct function *fn, const struct columns *cols,
                      int i, struct last *last) {
    *last = (struct last){.stage = RAN, .exit_code = -1};
    cols->instantiate_ns[i] = cols->execute_ns[i] = cols->teardown_ns[i] = -1;
    cols->memory_bytes[i] = cols->fuel[i] = -1;
    int64_t t0 = clock_ns(CLOCK_MONOTONIC);
    empty(&fn->out);
    empty(&fn->err);
    int64_t instantiating = clock_ns(CLOCK_MONOTONIC);
    void *store = api->store_new(fn->engine, NULL, NULL);
    void *context = api->store_context(store);
    api->store_limiter(store, fn->memory_limit, -1, -1, -1, -1);
    run(api, fn, context, cols, i, instantiating, last);
    int64_t deleting = clock_ns(CLOCK_MONOTONIC);
    api->store_delete(store); /* returns the instance's slot to the pool */
    int64_t t3 = clock_ns(CLOCK_MONOTONIC);
    if (cols->execute_ns[i] >= 0)
        cols->teardown_ns[i] = t3 - deleting;
    cols->wall_ns[i] = t3 - t0;
}

/* Share the thread's CPU time over the `served` requests of a run, evenly and to the
 * nanosecond (the first ones carry the remainder): one reading of the CPU clock (a system
 * call, a twentieth to a twelfth of a warm nop here) per run instead of per request. */
static void share_cpu(const struct columns *cols, int served, int64_t cpu_ns) {
    for (int i = 0; i < served; i++)
        cols->cpu_ns[i] = cpu_ns / served + (i < cpu_ns % served);
}

/* Serve up to `limit` requests, stopping after one that needs judging or once `budget_ns`
 * has passed; returns how many were served (at least one). `silent`: the reference output is
 * empty, so a request that exited 0 and printed nothing needs no judging. */
int faasbench_serve(const struct api *api, struct function *fn, const struct columns *cols,
                    int limit, int64_t budget_ns, bool silent, struct last *last) {
    int64_t began = clock_ns(CLOCK_MONOTONIC), cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    int served = 0;
    while (served < limit) {
        serve_one(api, fn, cols, served, last);
        served++;
        bool clean = silent && last->stage == RAN && last->exit_code == 0 && !last->error
                     && !last->trap && fn->out.written == 0;
        if (!clean || clock_ns(CLOCK_MONOTONIC) - began >= budget_ns)
            break;
    }
    share_cpu(cols, served, clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu);
    return served;
}
