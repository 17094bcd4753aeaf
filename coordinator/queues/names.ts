// Queue names and deterministic job ids. Deterministic ids make every enqueue idempotent:
// a step retried after a crash cannot start the same round twice.
export const QUEUE_EXPERIMENTS = 'experiments';
export const QUEUE_ROUNDS = 'rounds';

/** Each coordinator instance serves the sites whose streams it holds through its own tasks queue. */
export function tasksQueue(instance: string): string {
  return `tasks.${instance}`;
}

export interface RoundRef {
  experimentId: string;
  round: number;
  attempt: number;
}

const base = (r: RoundRef) => `${r.experimentId}-r${r.round}-a${r.attempt}`;

export const jobIds = {
  start: (experimentId: string) => `${experimentId}-start`,
  select: (r: RoundRef) => `${base(r)}-select`,
  aggregate: (r: RoundRef) => `${base(r)}-aggregate`,
  commit: (r: RoundRef) => `${base(r)}-commit`,
  secagg: (r: RoundRef, stage: string) => `${base(r)}-secagg-${stage}`,
  stats: (experimentId: string) => `${experimentId}-stats`,
  commitAsync: (experimentId: string, version: number) => `${experimentId}-v${version}-commit-async`,
  evalAsync: (experimentId: string, version: number) => `${experimentId}-v${version}-eval-async`,
  asyncWatch: (experimentId: string) => `${experimentId}-async-watch`,
  /** kind is train, evaluate, or a secure-aggregation stage name. */
  task: (r: RoundRef, kind: string, site: string) => `${base(r)}-${kind}-${site}`,
};

/** The site of a task job id (what follows the task kind). */
export function siteOfTaskJob(jobKey: string): string {
  const m =
    /-(?:train|evaluate|stats|advertise-keys|share-keys|masked-input|consistency-check|unmasking)-([A-Za-z0-9_.-]+)$/.exec(
      jobKey,
    );
  return m ? m[1]! : jobKey;
}
