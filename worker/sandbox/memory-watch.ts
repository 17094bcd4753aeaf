// The second memory bound. --max-old-space-size caps V8's heap, but not what lives outside it: Buffers,
// ArrayBuffers, WebAssembly memory. So the parent also reads the child's resident size from /proc
// every `everyMs` and kills it past the bound. This is a watch, not a wall: between two readings an app
// can grow by whatever it can allocate in that time, so the bound is set with room and the machine's
// own limits (cgroups, the OOM killer) stay the last word.
import fs from 'node:fs';

/** Resident kilobytes of process `pid` from the text of /proc/PID/status, or undefined. */
export function residentKB(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

/** Starts watching `pid`; calls `over` once when it is resident past `limitMB`. Returns the stop. */
export function watchMemory(pid: number, limitMB: number, over: () => void, everyMs = 100): () => void {
  let stopped = false;
  const timer = setInterval(() => {
    fs.readFile(`/proc/${pid}/status`, 'utf8', (err, text) => {
      if (stopped || err) return;
      const kb = residentKB(text);
      if (kb !== undefined && kb > limitMB * 1024) {
        stop();
        over();
      }
    });
  }, everyMs);
  timer.unref();
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  return stop;
}
