// The `accord` CLI: one file per command.
import * as grpc from '@grpc/grpc-js';
import { Command } from 'commander';
import { register as approve } from './approve.js';
import { register as audit } from './audit.js';
import { register as cancel } from './cancel.js';
import { register as certs } from './certs.js';
import { register as checkData } from './check-data.js';
import { register as coordinator } from './coordinator.js';
import { register as identity } from './identity.js';
import { register as prune } from './prune.js';
import { register as report } from './report.js';
import { register as roster } from './roster.js';
import { register as simulate } from './simulate.js';
import { register as status } from './status.js';
import { register as submit } from './submit.js';
import { register as verify } from './verify.js';
import { register as worker } from './worker.js';
import { register as workerPool } from './worker-pool.js';

export function buildProgram(): Command {
  const program = new Command('accord')
    .description('Accord: federated learning across sites whose data never leaves them')
    .version('0.1.0')
    // A usage mistake (unknown option, bad flag value, missing argument) is one line and exit 2, like a
    // config error; help and --version exit 0. Set before the commands, which inherit it.
    .exitOverride((err) => {
      process.exit(['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code) ? 0 : 2);
    });
  for (const r of [
    coordinator,
    worker,
    simulate,
    submit,
    status,
    report,
    cancel,
    prune,
    checkData,
    certs,
    workerPool,
    audit,
    approve,
    verify,
    identity,
    roster,
  ])
    r(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // grpc-js prints its own lines on stderr (a port in use came out as two lines, one of them grpc-js's);
  // Accord reports every failure itself. GRPC_VERBOSITY=DEBUG still turns its logs on.
  if (!process.env['GRPC_VERBOSITY']) grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  await buildProgram().parseAsync(argv);
}
