// `accord worker`: runs beside a site's data; dials out to the coordinator.

import fs from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { parseAttack } from '../shared/attack.js';
import { ConfigError, DataError } from '../shared/errors/index.js';
import type { BackendName } from '../shared/models/backend.js';
import { loadIdentity } from '../shared/trust/identity.js';
import { Roster } from '../shared/trust/roster.js';
import { AccordWorker } from '../worker/client.js';
import { loadSitePolicy } from '../worker/policy.js';
import { readFlagFile, readTlsFlags } from '../worker/tls-files.js';
import { action } from './common.js';
import { DESCRIPTIONS } from './descriptions.js';

function slowdownFlag(v: string): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x < 1) throw new ConfigError(`--slowdown: expected a factor of at least 1, not "${v}"`);
  return x;
}

/** HOST:PORT, with the port given (gRPC would otherwise dial 443 silently). */
function hostPort(v: string): string {
  const m = /^(.+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
    throw new InvalidArgumentError('expected HOST:PORT, e.g. coord.example.org:7070');
  return v;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description(DESCRIPTIONS['worker'])
    .requiredOption('--coordinator <host:port>', 'coordinator gRPC address', hostPort)
    .requiredOption('--site <name>', "this site's name")
    .option(
      '--token-file <file>',
      "file holding this site's token (or set ACCORD_TOKEN; never on the command line, where ps shows it)",
    )
    .requiredOption(
      '--data <path>',
      "local data: a CSV or .parquet file, a folder of IDX files or of <class>/<image>.png folders, or a PostgreSQL source (.yaml: connection and the site's own cohort query); it never leaves this machine",
    )
    .option('--dataset-name <name>', 'name declared for the data set (default "records"; the file name is never sent)')
    .option('--audit <file>', 'audit log of every message sent (JSON lines)')
    .option(
      '--backend <name>',
      'TF.js backend: auto (tensorflow > webgpu > wasm > cpu), tensorflow, webgpu, wasm, cpu',
      'auto',
    )
    .option('--tls-ca <file>', "CA certificate (PEM) that signed the coordinator's certificate: turns TLS on")
    .option('--tls-cert <file>', "this site's certificate (PEM), for mTLS")
    .option('--tls-key <file>', "this site's private key (PEM), for mTLS")
    .option('--tls-server-name <name>', "expected name in the coordinator's certificate, when it differs from HOST")
    .option(
      '--identity <file>',
      "this site's identity key (accord identity); it never leaves the site. With --roster: peers are verified and only approved experiments run",
    )
    .option(
      '--roster <file>',
      "the federation's roster (site -> identity key) as the consortium distributed it; pinned here",
    )
    .option('--approvals <dir>', 'where approved and pending manifests are kept (accord approve)', undefined)
    .option(
      '--policy <file>',
      "this site's policy (YAML): what it will send; tasks that break it are refused (see docs/privacy.md, Site policy)",
    )
    .option('--attack <spec>', 'simulation only: poison updates (scale:F, signflip, noise:S)')
    .option('--slowdown <factor>', 'simulation only: a straggler, this many times slower per task')
    .action(
      action(
        async (o: {
          coordinator: string;
          site: string;
          tokenFile?: string;
          data: string;
          datasetName?: string;
          policy?: string;
          identity?: string;
          roster?: string;
          approvals?: string;
          audit?: string;
          backend: string;
          attack?: string;
          slowdown?: string;
          tlsCa?: string;
          tlsCert?: string;
          tlsKey?: string;
          tlsServerName?: string;
        }) => {
          // Every file is read and checked before the first dial: a bad one is one line naming the flag.
          const tls = readTlsFlags(o);
          const token = o.tokenFile
            ? readFlagFile(o.tokenFile, '--token-file').toString('utf8').trim()
            : process.env['ACCORD_TOKEN'];
          if (!token)
            throw new ConfigError(
              "this site's token is required: --token-file FILE, or ACCORD_TOKEN in the environment",
            );
          if (!fs.existsSync(o.data)) throw new DataError(`--data: ${o.data} does not exist`);
          if (Boolean(o.identity) !== Boolean(o.roster))
            throw new ConfigError(
              '--identity and --roster go together: the site signs with one and verifies its peers with the other',
            );
          const w = new AccordWorker({
            coordinator: o.coordinator,
            site: o.site,
            token,
            dataFile: o.data,
            datasetName: o.datasetName,
            policy: o.policy === undefined ? undefined : loadSitePolicy(o.policy),
            ...(o.identity ? { identity: loadIdentity(o.identity) } : {}),
            ...(o.roster ? { roster: Roster.load(o.roster) } : {}),
            approvalsDir: o.approvals ?? (o.identity ? `accord-approvals-${o.site}` : undefined),
            auditFile: o.audit ?? `accord-audit-${o.site}.jsonl`,
            backend: o.backend as BackendName | 'auto',
            ...(o.attack ? { attack: parseAttack(o.attack) } : {}),
            ...(o.slowdown ? { slowdown: slowdownFlag(o.slowdown) } : {}),
            ...(tls ? { tls } : {}),
            // The few lines for people (an unreachable coordinator, its return) besides the JSON log.
            notify: (line) => process.stderr.write(`accord worker: ${line}\n`),
          });
          process.once('SIGINT', () => w.stop());
          process.once('SIGTERM', () => w.stop());
          await w.run();
          process.exit(0);
        },
      ),
    );
}
