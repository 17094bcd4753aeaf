// What each command does, in one place: `accord --help` lists them without loading any command
// (cli/index.ts loads only the command that runs), and each command's own help says the same.
export const DESCRIPTIONS = {
  analyze:
    "federated analytics on a running federation: each site's column profile (small cells withheld), pooled, per site, drift and flags; no training",
  app: "an app's digest (what a site's policy allows) and reviewers' signatures of it",
  approve: "review an experiment's manifest and approve it with this site's identity key",
  audit: "a site's audit log of what left it",
  cancel: 'cancel a queued or running experiment (its committed rounds and checkpoints stay)',
  certs:
    'make a federation CA, the coordinator certificate and a token per site (and, without --ca-only, every site key)',
  'check-data': "check a site's data file against an experiment's columns and labels, locally (nothing is sent)",
  coordinator: 'run a coordinator: gRPC for workers, BullMQ rounds on Redis',
  init: 'make a new project here: an experiment, an app, sample data per site (tabular or images), a site policy, a README and tests',
  identity: "make this site's identity key, TLS key and certificate request (the keys never leave the site)",
  prune:
    "remove from Redis what no report needs: finished jobs of ended experiments (and older than --older-than), dead coordinators' queues and entries",
  report: 'per-round table of an experiment',
  roster: "build the federation roster from the sites' identity.key.pub files",
  simulate: 'run a whole federation here: private redis-server, coordinator, one worker process per site',
  status: 'show experiments, rounds and connected workers',
  submit: 'submit an experiment (YAML) to the coordinators sharing this Redis',
  verify: "check a report offline: manifest hash, roster, every site's signed approval and audit head",
  'worker-pool': 'simulation only: run many logical sites (each its own session and partition) in one process',
  worker: 'run a site worker: trains on local data, sends only weight deltas and metrics',
} as const;

export type CommandName = keyof typeof DESCRIPTIONS;
