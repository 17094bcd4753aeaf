// The site's sandbox for apps: code the site did not write (a researcher's model or training code),
// run in a child process. Not yet used for tasks (apps come next); this is the contract it keeps.
//
// Adversary: a malicious app, i.e. any code in the app's folder, run with input the site chose.
// What holds, each checked by test/integration/sandbox.test.ts:
// - It reads only its own folder, the data paths the caller names and its scratch folder: node's
//   permission model refuses any other path (SANDBOX_DENIED, naming the permission), and with the
//   namespaces no other path exists in its root (the system's libraries, read-only, aside). A symbolic
//   link the app ships out of its folder, which node would follow, is refused before it runs (links.ts).
// - It writes only its scratch folder (the permission model; with the namespaces the kernel too: every
//   other mount is read-only).
// - It starts no process and no worker thread, loads no native addon (the permission model).
// - With the namespaces ('namespace', isolation.ts), it opens no socket to anything: its network
//   namespace has no interface up, and no host Unix socket is in its root. Without them ('none') the
//   permission model does NOT cover sockets: callers refuse that unless they set
//   requireNetworkIsolation to false.
// - It is bounded in time (SIGKILL after timeoutMs: SANDBOX_TIMEOUT), V8 heap (--max-old-space-size)
//   and resident memory (watched: SANDBOX_MEMORY), and output (SANDBOX_OUTPUT_LIMIT); its error
//   messages are bounded and its stack keeps only its own frames.
// - Its environment is empty: the worker's variables (tokens, paths) do not reach it.
// Not covered:
// - Node documents its permission model as a seat belt, not a wall against malicious code: a bug in
//   node that lets code out of it is in scope of an attacker. The namespaces are the kernel's answer
//   (minimal read-only root, no network, no capabilities), and only where they are available.
// - CPU and cache side channels, and timing; the load it puts on the machine within its bounds.
// - What it reads of its own inputs and writes into its result: the result is untrusted data, which
//   the caller must validate (shape, size, values) before it is used or released. The error codes a
//   run ends with are chosen by the app too (it can print a V8 out-of-memory line, throw an access
//   error): they are diagnostics, not proof.
// - Its scratch folder: what it leaves there is the caller's to remove.
// - How its folder got there: a hard link in it is a plain file to the checks, so whatever unpacks an
//   app must refuse links; links inside the site's own data folders are the site's and are followed.
// - The resident-memory watch is sampled (10 per second): a burst between two readings can pass it.
// - Inside the namespaces there is no /proc: os.cpus() and the like see nothing.
export { type Isolation, type IsolationKind, networkIsolation } from './isolation.js';
export type { SandboxOptions } from './options.js';
export { runSandboxed, type SandboxResult } from './run.js';
