// The `accord` CLI: one file per command.
import { Command } from 'commander';
import { type CommandName, DESCRIPTIONS } from './descriptions.js';

/**
 * Each command's module, loaded only when that command runs: `accord --help`, `status` and `submit`
 * do not load TF.js or gRPC servers, and a coordinator's first listen does not wait for the others.
 */
const COMMANDS: Record<CommandName, () => Promise<{ register(program: Command): void }>> = {
  coordinator: () => import('./coordinator.js'),
  worker: () => import('./worker.js'),
  simulate: () => import('./simulate.js'),
  submit: () => import('./submit.js'),
  status: () => import('./status.js'),
  report: () => import('./report.js'),
  cancel: () => import('./cancel.js'),
  prune: () => import('./prune.js'),
  'check-data': () => import('./check-data.js'),
  certs: () => import('./certs.js'),
  'worker-pool': () => import('./worker-pool.js'),
  audit: () => import('./audit.js'),
  approve: () => import('./approve.js'),
  verify: () => import('./verify.js'),
  identity: () => import('./identity.js'),
  init: () => import('./init.js'),
  app: () => import('./app.js'),
  analyze: () => import('./analyze.js'),
  roster: () => import('./roster.js'),
};

/**
 * The program for `argv`: the command it names is loaded whole; the others are listed by name and
 * description only (enough for `accord --help`). Without `argv`, every command is loaded (tests).
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('accord')
    .description('Accord: federated learning across sites whose data never leaves them')
    .version('0.1.0')
    // A usage mistake (unknown option, bad flag value, missing argument) is one line and exit 2, like a
    // config error; help and --version exit 0. Set before the commands, which inherit it.
    .exitOverride((err) => {
      process.exit(['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code) ? 0 : 2);
    });
  const named = argv?.slice(2).find((a) => !a.startsWith('-'));
  for (const [name, load] of Object.entries(COMMANDS) as [CommandName, (typeof COMMANDS)[CommandName]][]) {
    if (argv === undefined || name === named) (await load()).register(program);
    else program.command(name).description(DESCRIPTIONS[name]);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // grpc-js prints its own lines on stderr (a port in use came out as two lines, one of them grpc-js's);
  // Accord reports every failure itself. GRPC_VERBOSITY=DEBUG still turns its logs on.
  // grpc-js reads this when it loads, which is now later (with the command that needs it).
  if (!process.env['GRPC_VERBOSITY']) process.env['GRPC_VERBOSITY'] = 'NONE';
  await (await buildProgram(argv)).parseAsync(argv);
}
