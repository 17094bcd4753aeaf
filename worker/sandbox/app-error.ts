// What of an app's error the site keeps: the app chose every byte of it, so it is bounded, and its stack
// keeps only the frames inside the app's folder, as paths relative to it (the bootstrap's frames and
// node's own name nothing the app wrote; a frame elsewhere would name the site's folders). Pure.
import { pathToFileURL } from 'node:url';

export const MAX_MESSAGE = 1000;
const MAX_FRAMES = 10;

export interface AppError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/** At most `n` characters of `s`, one line per line, marked when cut. */
export function bounded(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}... (${s.length - n} more characters)`;
}

/** The frames of `stack` inside `appDir`, with `appDir` (as a path or a file URL) shown as `.`. */
export function appFrames(stack: string, appDir: string): string | undefined {
  const prefixes = [`${pathToFileURL(appDir).href}/`, `${appDir}/`];
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    if (!/^\s+at /.test(line)) continue;
    const prefix = prefixes.find((p) => line.includes(p));
    if (!prefix) continue;
    frames.push(bounded(line.trim().replaceAll(prefix, './'), 300));
    if (frames.length === MAX_FRAMES) break;
  }
  return frames.length ? frames.join('\n') : undefined;
}

const str = (v: unknown, n: number): string | undefined => (typeof v === 'string' ? bounded(v, n) : undefined);

/** The app's error as the bootstrap described it (untrusted JSON), bounded and with app frames only. */
export function appError(raw: unknown, appDir: string): AppError {
  const r = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const code = str(r['code'], 100);
  const stack = typeof r['stack'] === 'string' ? appFrames(r['stack'], appDir) : undefined;
  return {
    name: str(r['name'], 100) || 'Error',
    message: str(r['message'], MAX_MESSAGE) ?? '',
    ...(code ? { code } : {}),
    ...(stack ? { stack } : {}),
  };
}
