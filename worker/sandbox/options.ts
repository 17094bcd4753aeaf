// What a caller asks of one sandboxed run, and the defaults. Limits are the site's, never the app's.
import { ConfigError } from '../../shared/errors/index.js';

export interface SandboxOptions {
  /** The app's folder: readable, never writable. */
  appDir: string;
  /** Its ES module the bootstrap imports, relative to appDir (e.g. 'main.mjs'). */
  entry: string;
  /**
   * A trusted module of the site (absolute path) that runs around the app: when set, its `exportName`
   * export is called with (input, the app's module) instead of the app's export (worker/apps/host.mjs).
   */
  host?: string;
  /** The export called with the input (default 'run'); it may be async. */
  exportName?: string;
  /** Passed to the export as JSON (so it must be JSON-serialisable). */
  input: unknown;
  /** Data files or folders the app may read (absolute). */
  readPaths?: readonly string[];
  /** The one folder the app may write (absolute, existing; the caller empties or removes it). */
  scratchDir: string;
  /** Wall-clock bound, set-up included (default 60 s); the child is SIGKILLed past it. */
  timeoutMs?: number;
  /** V8 heap bound in MB (default 512). */
  heapMB?: number;
  /** Resident-size bound in MB, watched (memory-watch.ts); default 2 x heapMB + 256. */
  rssMB?: number;
  /** Bytes of result the parent reads (default 64 MiB), and of stdout and stderr together (1 MiB). */
  maxResultBytes?: number;
  maxLogBytes?: number;
  /**
   * Refuse to run (SANDBOX_UNAVAILABLE) where the namespaces are unavailable, rather than run with node's
   * permission model alone, which leaves sockets open (default true).
   */
  requireNetworkIsolation?: boolean;
  /** 'none' runs without the namespaces even where they are available (needs requireNetworkIsolation false). */
  isolation?: 'auto' | 'none';
}

export type Limits = {
  timeoutMs: number;
  heapMB: number;
  rssMB: number;
  maxResultBytes: number;
  maxLogBytes: number;
};

const positive = (v: number | undefined, fallback: number, what: string): number => {
  const n = v ?? fallback;
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`sandbox: ${what} must be a positive number, not ${v}`);
  return n;
};

/** The run's limits with defaults filled in, or a ConfigError. */
export function limitsOf(o: SandboxOptions): Limits {
  const heapMB = Math.ceil(positive(o.heapMB, 512, 'heapMB'));
  return {
    timeoutMs: positive(o.timeoutMs, 60_000, 'timeoutMs'),
    heapMB,
    rssMB: positive(o.rssMB, 2 * heapMB + 256, 'rssMB'),
    maxResultBytes: positive(o.maxResultBytes, 64 * 1024 * 1024, 'maxResultBytes'),
    maxLogBytes: positive(o.maxLogBytes, 1024 * 1024, 'maxLogBytes'),
  };
}

/** The export's name: an identifier, so it cannot be read as one of node's options. */
export function exportNameOf(o: SandboxOptions): string {
  const name = o.exportName ?? 'run';
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new ConfigError(`sandbox: export name ${name} is not an identifier`);
  return name;
}
