// Tests that need a tool the README does not ask for (docker-compose, promtool, chromium, the
// Fashion-MNIST package, unprivileged user namespaces for the app sandbox, the native TensorFlow binding): without it they are skipped
// with a one-line reason, so `npm test` passes with only Node and redis-server. Under CI (`.ci/run` sets
// ACCORD_CI=1 and installs them) they always run, and a missing tool fails them with the same reason.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { FASHION_MNIST_DIR } from '../../simulation/datasets.js';
import { networkIsolation } from '../../worker/sandbox/isolation.js';

export type OptionalTool =
  | 'docker-compose'
  | 'promtool'
  | 'chromium'
  | 'fashion-mnist'
  | 'user-namespaces'
  | 'tensorflow';

export const UNDER_CI = process.env['ACCORD_CI'] === '1';

export const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';

// Whether require('@tensorflow/tfjs-node') works from the project, asked in a child process: loading it
// here would switch this process's TF.js backend. Undefined when it does, else its first error line.
let tfjsNode: { error: string | undefined } | undefined;
function tfjsNodeError(): string | undefined {
  tfjsNode ??= (() => {
    const r = spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
      timeout: 60_000,
    });
    if (r.status === 0) return { error: undefined };
    const line = (r.stderr ?? '').split('\n').find((l) => /Error|Cannot/.test(l));
    return { error: line?.trim() ?? `exit ${r.status ?? r.signal}` };
  })();
  return tfjsNode.error;
}

const TOOLS: Record<OptionalTool, { present: () => boolean; missing: string }> = {
  'docker-compose': {
    present: () => !spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).error,
    missing: 'docker-compose is not installed (apt-get install docker-compose; .ci/run does this)',
  },
  promtool: {
    present: () => !spawnSync('promtool', ['--version'], { stdio: 'ignore' }).error,
    missing: 'promtool is not installed (apt-get install prometheus; .ci/run does this)',
  },
  chromium: {
    present: () => fs.existsSync(CHROMIUM),
    missing: `${CHROMIUM} is missing (apt-get install chromium; .ci/run does this)`,
  },
  'fashion-mnist': {
    present: () => fs.existsSync(path.join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz')),
    missing: `${FASHION_MNIST_DIR} has no Fashion-MNIST (apt-get install dataset-fashion-mnist; .ci/run does this)`,
  },
  'user-namespaces': {
    present: () => networkIsolation().kind === 'namespace',
    get missing() {
      return networkIsolation().reason;
    },
  },
  tensorflow: {
    present: () => tfjsNodeError() === undefined,
    get missing() {
      return `@tensorflow/tfjs-node cannot be required (${tfjsNodeError()}); npm run setup:tensorflow builds it offline; .ci/run does this`;
    },
  },
};

const said = new Set<OptionalTool>();

/** Why a test needing `tool` cannot run here, or undefined when it can (or must, under CI). */
export function missingTool(tool: OptionalTool): string | undefined {
  const t = TOOLS[tool];
  return t.present() ? undefined : t.missing;
}

/**
 * Whether tests needing `tool` run: yes when it is present or under CI (where they then fail naming
 * it); otherwise no, and the reason is printed once.
 */
export function runsWith(tool: OptionalTool): boolean {
  const why = missingTool(tool);
  if (!why || UNDER_CI) return true;
  if (!said.has(tool)) {
    said.add(tool);
    process.stderr.write(`skipped (needs ${tool}): ${why}\n`);
  }
  return false;
}
