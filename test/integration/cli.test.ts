// The `accord` command as users run it: help, config errors, submit/status/report against a real
// Redis, the missing-redis-server message, and the docker-compose topology.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PACKAGE_ROOT } from '../../shared/package-root.js';
import { ACCORD_ARGV } from '../../simulation/processes.js';
import { type PrivateRedis, startPrivateRedis } from '../../simulation/redis-server.js';
import { runsWith } from '../helpers/optional.js';

function accord(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [...ACCORD_ARGV, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    cwd: PACKAGE_ROOT,
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('accord CLI', () => {
  let redis: PrivateRedis;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-cli-'));
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('--help lists the commands', () => {
    const r = accord(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['coordinator', 'worker', 'simulate', 'submit', 'status', 'report']) expect(r.stdout).toContain(c);
  });

  it('refuses to serve workers in clear on a non-loopback address unless --insecure is given', () => {
    const r = accord(['coordinator', '--grpc', '0.0.0.0:7071', '--redis', redis.url, '--store', path.join(dir, 'st')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--grpc 0\.0\.0\.0:7071: refusing to serve workers without TLS .*--tls-cert and --tls-key, or --insecure/,
    );
  });

  it("check-data summarises a site's file locally and names a bad cell's line and column; a worker refuses an empty file", () => {
    const ok = accord([
      'check-data',
      '--config',
      'examples/heart-disease.yaml',
      '--data',
      'data/heart-disease/processed.va.data',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/200 rows; classes 0: 51, 1: 149/);
    expect(ok.stdout).toMatch(/^chol\s+144\s+56\s+100\s+458$/m);
    // With the site's policy its own data rules apply, as in the worker: the example policy treats chol
    // 0 as missing like the experiment; a policy without that rule counts the zeros as values.
    const va = ['--config', 'examples/heart-disease.yaml', '--data', 'data/heart-disease/processed.va.data'];
    const same = accord(['check-data', ...va, '--policy', 'examples/site-policy.yaml']);
    expect(same.stdout, same.stderr).toMatch(/^chol\s+144\s+56\s+100\s+458$/m);
    const own = path.join(dir, 'own-rules.yaml');
    fs.writeFileSync(own, 'data: { zeroMeansMissing: [] }\n');
    const rules = accord(['check-data', ...va, '--policy', own]);
    expect(rules.code, rules.stderr).toBe(0);
    expect(rules.stdout).toMatch(/^chol\s+(19\d|200)\s+\d+\s+0\s+458$/m);
    const bad = path.join(dir, 'bad.csv');
    const lines = fs.readFileSync(path.join(PACKAGE_ROOT, 'data/heart-disease/processed.va.data'), 'utf8').split('\n');
    lines[2] = lines[2]!.replace(/^(\d+),/, 'x$1,');
    fs.writeFileSync(bad, lines.join('\n'));
    const r = accord(['check-data', '--config', 'examples/heart-disease.yaml', '--data', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/:3: column age has non-numeric value .*\[DATA_INVALID\]/);
    // Every bad line in one run, and hints for a header line and ';' separators.
    lines[6] = lines[6]!.replace(/^(\d+),/, 'y$1,');
    lines[9] = lines[9]!.split(',').slice(0, 5).join(',');
    const many = path.join(dir, 'many.csv');
    fs.writeFileSync(many, ['age,sex,cp', ...lines].join('\n'));
    const m = accord(['check-data', '--config', 'examples/heart-disease.yaml', '--data', many]);
    expect(m.code).toBe(1);
    expect(m.stderr.trim().split('\n')).toHaveLength(1);
    expect(m.stderr).toMatch(
      /4 bad lines in all: 4 \(column age has non-numeric value "x\d+"\); 8 \(column age .*\); 11 \(5 cells, expected 14\)/,
    );
    expect(m.stderr).toMatch(/hint: the first line looks like a header: set data\.header: true/);
    const semi = path.join(dir, 'semi.csv');
    fs.writeFileSync(
      semi,
      lines
        .slice(0, 5)
        .map((l) => l.replaceAll(',', ';'))
        .join('\n'),
    );
    expect(accord(['check-data', '--config', 'examples/heart-disease.yaml', '--data', semi]).stderr).toMatch(
      /hint: cells seem separated by ';'/,
    );
    const empty = path.join(dir, 'empty.csv');
    fs.writeFileSync(empty, '');
    const w = accord(
      [
        'worker',
        '--coordinator',
        '127.0.0.1:1',
        '--site',
        'va',
        '--data',
        empty,
        '--audit',
        path.join(dir, 'audit.jsonl'),
      ],
      {
        ACCORD_TOKEN: 'whatever-token',
      },
    );
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/empty\.csv has no rows; check it with accord check-data \[DATA_INVALID\]/);
  });

  it('every user mistake is one line naming the flag, exit 2, and nothing is written', () => {
    const out = path.join(dir, 'never-written');
    for (const [args, flag] of [
      [['simulate', '--rounds', '-5', '--out', out], '--rounds'],
      [['simulate', '--rounds', 'abc', '--out', out], '--rounds'],
      [['simulate', '--fraction', '2', '--out', out], '--fraction'],
      [['simulate', '--lr', '-1', '--out', out], '--lr'],
      [['simulate', '--byzantine', '5', '--out', out], '--byzantine'],
      [['worker', '--coordinator', '127.0.0.1', '--site', 'a', '--data', 'x'], '--coordinator'],
      [['simulate', '--no-such-flag'], '--no-such-flag'],
      [['coordinator', '--grpc', 'localhost', '--tokens', 'x'], '--grpc'],
      [['coordinator', '--grpc', 'notaport', '--tokens', 'x'], '--grpc'],
      [['coordinator', '--grpc', '127.0.0.1:0', '--http', 'localhost', '--tokens', 'x'], '--http'],
    ] as const) {
      const r = accord([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toContain(flag);
    }
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a port already in use is one line naming the flag, exit 2', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    const tokens = path.join(dir, 'port-tokens.yaml');
    fs.writeFileSync(tokens, 'va: token-of-va-123\n');
    try {
      const common = ['coordinator', '--redis', redis.url, '--tokens', tokens, '--store', path.join(dir, 'port-store')];
      const grpcTaken = accord([...common, '--grpc', `127.0.0.1:${port}`]);
      expect(grpcTaken.code).toBe(2);
      expect(grpcTaken.stderr.trim().split('\n')).toHaveLength(1);
      expect(grpcTaken.stderr).toMatch(/--grpc 127\.0\.0\.1:\d+: cannot listen .*EADDRINUSE/);
      const httpTaken = accord([...common, '--grpc', '127.0.0.1:0', '--http', `127.0.0.1:${port}`]);
      expect(httpTaken.code).toBe(2);
      expect(httpTaken.stderr.trim().split('\n')).toHaveLength(1);
      expect(httpTaken.stderr).toContain('--http');
    } finally {
      taken.close();
    }
  });

  it('a bad number flag is one line naming the option, not a stack trace', () => {
    const r = accord(['simulate', '--rounds', '0', '--out', path.join(dir, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("error: option '--rounds <n>' argument '0' is invalid. expected a positive integer");
  });

  it('submit refuses a config with a wrong field, naming it, and queues nothing', () => {
    const bad = path.join(dir, 'bad.yaml');
    const good = YAML.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'examples/heart-disease.yaml'), 'utf8'));
    fs.writeFileSync(bad, YAML.stringify({ ...good, clients: { min: 'four' } }));
    const r = accord(['submit', bad, '--redis', redis.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml: clients\.min: .*number/);
    const s = accord(['status', '--redis', redis.url, '--json']);
    expect(JSON.parse(s.stdout).experiments).toEqual([]);
  });

  it('submit, status and report with --json', () => {
    const r = accord([
      'submit',
      path.join(PACKAGE_ROOT, 'examples/heart-disease.yaml'),
      '--redis',
      redis.url,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { id } = JSON.parse(r.stdout) as { id: string };
    expect(id).toMatch(/^exp-/);
    const s = JSON.parse(accord(['status', '--redis', redis.url, '--json']).stdout);
    expect(s.experiments).toHaveLength(1);
    expect(s.experiments[0]).toMatchObject({ id, name: 'heart-disease', status: 'queued', rounds: 20 });
    expect(s.workers).toEqual([]);
    expect(s.coordinators).toEqual([]);
    // Queued with no coordinator alive: the table says why, and the phase is not cut.
    const table = accord(['status', '--redis', redis.url]).stdout;
    expect(table).toMatch(
      /COORDINATORS \(0 live\)\n {2}no coordinator is running: queued and running experiments wait for one/,
    );
    expect(table).toMatch(new RegExp(`${id}\\s+heart-disease\\s+queued\\s+0/20\\s+-\\s+queued`));
    const rep = JSON.parse(accord(['report', id, '--redis', redis.url, '--json']).stdout);
    expect(rep.experiment.id).toBe(id);
    expect(rep.rounds).toEqual([]);
    // --once (the compose submit step, run on every `up`): the queued experiment of that name stands.
    const once = accord([
      'submit',
      path.join(PACKAGE_ROOT, 'examples/heart-disease.yaml'),
      '--redis',
      redis.url,
      '--once',
    ]);
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdout.trim()).toBe(id);
    expect(once.stderr).toMatch(/already submitted .*not submitting again/);
    expect(JSON.parse(accord(['status', '--redis', redis.url, '--json']).stdout).experiments).toHaveLength(1);
    // --watch redraws until the named experiment has ended: once cancelled, it prints and exits.
    expect(accord(['cancel', id, '--redis', redis.url]).code).toBe(0);
    const w = accord(['status', id, '--watch', '--redis', redis.url]);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toMatch(new RegExp(`${id}\\s+heart-disease\\s+cancelled`));
    // A cancelled experiment does not count: --once queues a new one.
    const again = accord([
      'submit',
      path.join(PACKAGE_ROOT, 'examples/heart-disease.yaml'),
      '--redis',
      redis.url,
      '--once',
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).not.toBe(id);
    expect(JSON.parse(accord(['status', '--redis', redis.url, '--json']).stdout).experiments).toHaveLength(2);
    const unknown = accord(['status', 'exp-nope', '--watch', '--redis', redis.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no experiment "exp-nope"/);
    const missing = accord(['report', 'exp-nope', '--redis', redis.url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no experiment "exp-nope"/);
  });

  it('simulate without redis-server says how to install it', () => {
    const r = accord(['simulate', '--rounds', '1', '--out', path.join(dir, 'sim')], {
      REDIS_SERVER: '/nonexistent/redis-server',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/was not found: install Redis \(Debian\/Ubuntu: sudo apt-get install redis-server/);
  });

  it('an unreachable Redis is one clear line and a non-zero exit, for the CLI and the coordinator', () => {
    const r = accord(['status', '--redis', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    // Said early that it retries, before the give-up line.
    expect(r.stderr).toMatch(
      /^accord: Redis at redis:\/\/127\.0\.0\.1:1 is not reachable yet \(.*\); retrying for up to 10 s\n.*cannot reach Redis/m,
    );
    const c = accord([
      'coordinator',
      '--redis',
      'redis://127.0.0.1:1',
      '--tokens',
      'deploy/tokens.yaml',
      '--store',
      path.join(dir, 'st-r'),
    ]);
    expect(c.code).toBe(1);
    const lines = c.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('{'));
    expect(lines).toEqual([
      expect.stringMatching(/^accord: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: .*\[REDIS_UNREACHABLE\]$/),
    ]);
    expect(c.stderr).not.toMatch(/Unhandled error event/);
  });

  it.runIf(runsWith('docker-compose'))('docker-compose.yml is valid and each worker mounts only its own centre', () => {
    const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
    });
    expect(
      r.error,
      'docker-compose is not installed (apt-get install docker-compose; .ci/run does this)',
    ).toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    const compose = YAML.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'docker-compose.yml'), 'utf8'));
    const workers = Object.entries(compose.services as Record<string, { volumes?: string[] }>).filter(([n]) =>
      n.startsWith('worker-'),
    );
    expect(workers.map(([n]) => n).sort()).toEqual([
      'worker-cleveland',
      'worker-hungary',
      'worker-switzerland',
      'worker-va',
    ]);
    for (const [, svc] of workers) {
      const data = svc.volumes!.filter((v) => v.includes('data/'));
      expect(data).toHaveLength(1);
      expect(fs.existsSync(path.join(PACKAGE_ROOT, data[0]!.split(':')[0]!))).toBe(true);
    }
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['redis', 'coordinator']));
  });
});
