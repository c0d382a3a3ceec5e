// faasbench's server for WebAssembly under Node.js (V8) with node:wasi preview1.
//
//   node node_server.mjs once  SPEC   compile, instantiate and run once; print one JSON report
//   node node_server.mjs serve SPEC   compile once and print "ready" (or why not, and exit 1);
//                                     then run once per line read on stdin, one JSON report
//                                     line per run (a fresh WASI and instance each time)
//   node node_server.mjs pool  SPEC DIR   like serve, then keeps many ready instances for
//                                     faasbench scale (messages: engine/scale/messages.py)
//   node node_server.mjs load  SPEC   like serve, but each request reads and compiles the
//                                     module again before running it (a server loading a
//                                     function)
//
// SPEC is engine.runtimes.node.NodeSpec as JSON: {module, argv, host_dir, guest_dir, stdout,
// stderr}; reports are engine.runtimes.request_report.RequestReport. Stamps are
// process.hrtime.bigint(), i.e. CLOCK_MONOTONIC like Python's perf_counter_ns, so the caller
// can line them up with its own; they are written as exact JSON integers (toJson). Guest
// stdout/stderr go to the files named in SPEC.
const mainNs = process.hrtime.bigint();

// node:wasi is "experimental" and says so on import: hide that one warning, keep the rest.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'ExperimentalWarning' && /WASI/.test(warning.message)) return;
  process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

const { WASI } = await import('node:wasi');
const { readFile } = await import('node:fs/promises');
const { openSync, closeSync } = await import('node:fs');
const { createInterface } = await import('node:readline');

const [mode, specText] = process.argv.slice(2);
const spec = JSON.parse(specText);
const now = () => process.hrtime.bigint();
// JSON.stringify refuses BigInts: each becomes a marked string, then the marks and quotes go,
// leaving the exact integer (a Number would lose digits past 2**53).
const toJson = (data) => JSON.stringify(
  data, (_, value) => (typeof value === 'bigint' ? `\u0000bigint:${value}` : value),
).replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
const ns = (a, b) => Number(b - a);  // a difference is small enough to be exact

// A fresh WASI context and instance writing to these files (closed by start, or here on failure).
async function instantiate(module, stdoutPath, stderrPath) {
  const stdout = openSync(stdoutPath, 'w');
  const stderr = openSync(stderrPath, 'w');
  try {
    const wasi = new WASI({
      version: 'preview1', args: spec.argv, env: {}, returnOnExit: true,
      preopens: { [spec.guest_dir]: spec.host_dir }, stdin: 0, stdout, stderr,
    });
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
    return { wasi, instance, stdout, stderr };
  } catch (err) {
    closeSync(stdout);
    closeSync(stderr);
    throw err;
  }
}

// Run an instance's _start once: { exit_code, error }; its output files are closed after,
// and so are the descriptors its WASI context holds (see closeGuestFds).
function start(ready) {
  try {
    return { exit_code: ready.wasi.start(ready.instance), error: null };
  } catch (err) {
    return { exit_code: null, error: `trap: ${err}` };
  } finally {
    closeSync(ready.stdout);
    closeSync(ready.stderr);
    closeGuestFds(ready.wasi);
  }
}

// node:wasi never closes a context's preopened directory (nor a file the guest left open):
// no API does, and garbage collection does not either, so a host serving requests would run
// out of descriptors after about as many requests as its open-file limit (1024 by default).
// The context's own fd_close releases them once it has started: its descriptors from 3 up
// (the preopen, then what the guest left open), until the first that is not open. A context
// whose start failed before it had the guest's memory refuses (ERR_WASI_NOT_STARTED): the
// run's own result must stand, so that refusal is let go, and its descriptors with it.
function closeGuestFds(wasi) {
  const { fd_close: close } = wasi.getImportObject().wasi_snapshot_preview1;
  try {
    for (let fd = 3; close(fd) === 0; fd += 1);
  } catch (err) {
    if (err.code !== 'ERR_WASI_NOT_STARTED') throw err;
  }
}

async function runOnce(module) {
  const cpu0 = process.cpuUsage();
  const t0 = now();
  let report = { exit_code: null, error: null, phases_ns: {} };
  let ready = null;
  try {
    ready = await instantiate(module, spec.stdout, spec.stderr);
  } catch (err) {
    report.error = `instantiation failed: ${err}`;
  }
  if (ready !== null) {
    const t1 = now();
    report = { ...report, ...start(ready) };
    const t2 = now();
    report.phases_ns = { instantiate: ns(t0, t1), execute: ns(t1, t2) };
    const memory = ready.instance.exports.memory;
    report.guest_memory_bytes = memory instanceof WebAssembly.Memory ? memory.buffer.byteLength : null;
  }
  const cpu = process.cpuUsage(cpu0);
  report.cpu_ns = (cpu.user + cpu.system) * 1000;
  return report;
}

// faasbench scale's pool (engine/scale/messages.py has the messages, engine/scale/pool_server.py
// the same server in Python): many ready instances of one compiled module; outputs alternate
// between two files per slot, named as slot_files names them.
async function pool(module, scratch) {
  const slots = [];
  const files = (i) => ['out', 'err'].map((ext) => `${scratch}/slot-${i}-${slots[i].gen % 2}.${ext}`);
  const fill = async (i) => {
    const slot = slots[i];
    try {
      slot.ready = await instantiate(module, ...files(i));
      slot.error = null;
    } catch (err) {
      slot.ready = null;
      slot.error = `instantiation failed: ${err}`;
    }
  };
  const reply = (data) => process.stdout.write(`${JSON.stringify(data)}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    const message = JSON.parse(line);
    if (message.op === 'grow') {
      let error = null;
      for (let k = 0; k < message.count && error === null; k += 1) {
        slots.push({ gen: 0, ready: null, error: null });
        await fill(slots.length - 1);
        error = slots[slots.length - 1].error;
      }
      reply(error === null ? { answer: 'grown', slots: slots.length } : { answer: 'refused', error });
      continue;
    }
    const i = message.slot;
    const slot = slots[i];
    if (slot.ready === null) await fill(i);
    const [stdout, stderr] = files(i);
    const result = slot.ready !== null ? start(slot.ready) : { exit_code: null, error: slot.error };
    reply({ answer: 'answer', slot: i, ...result, stdout, stderr });
    slot.gen += 1;
    slot.ready = null;
    await fill(i);
  }
}

async function compile() {
  const t0 = now();
  const module = await WebAssembly.compile(await readFile(spec.module));
  return [module, ns(t0, now())];
}

async function compileAndRun() {
  const [module, compileNs] = await compile();
  const report = await runOnce(module);
  report.phases_ns = { compile: compileNs, ...report.phases_ns };
  return report;
}

if (mode === 'once') {
  let report;
  try {
    report = await compileAndRun();
  } catch (err) {
    report = { exit_code: null, error: `compile failed: ${err}`, phases_ns: {} };
  }
  report.main_ns = mainNs;
  report.done_ns = now();
  process.stdout.write(toJson(report));
} else if (mode === 'serve' || mode === 'load' || mode === 'pool') {
  // The pool speaks engine/scale/messages.py; serve and load start with a bare line.
  const say = (answer, error) => process.stdout.write(
    mode === 'pool' ? `${JSON.stringify(error ? { answer, error } : { answer })}\n`
      : `${error ?? answer}\n`);
  let module;
  try {
    [module] = await compile();  // load mode too: a module that cannot compile fails at once
  } catch (err) {
    say('refused', `compile failed: ${String(err).split('\n')[0]}`);
    process.exit(1);
  }
  say('ready');
  if (mode === 'pool') {
    await pool(module, process.argv[4]);
    process.exit(0);
  }
  for await (const _line of createInterface({ input: process.stdin })) {
    const report = mode === 'load' ? await compileAndRun() : await runOnce(module);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
} else {
  throw new Error(`unknown mode ${mode}; use once, serve or load`);
}
