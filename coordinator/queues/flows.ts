// Enqueueing round steps. A step that waits for sites is a BullMQ flow: the step is the parent job
// (queue `rounds`) with one task child per site, routed to the tasks queue of the coordinator
// instance that holds the site's stream.
import type { FlowNestedLeafJob, FlowProducer, Queue } from 'bullmq';
import type { SecAggStage } from '../../shared/config/schema.js';
import type { SelectJobData, TaskJobData } from './jobs.js';
import { jobIds, QUEUE_ROUNDS, type RoundRef, tasksQueue } from './names.js';

export const KEEP = { removeOnComplete: { age: 3600 }, removeOnFail: { age: 86400 } } as const;

/** The steps of a round that run once their sites' tasks have finished. */
export type FlowStep = 'stats' | 'aggregate' | 'commit' | 'secagg' | 'eval-async';

/** A site and the coordinator instance holding its stream (a registry entry). */
export interface Routed {
  site: string;
  instance: string;
}

/** What each site is asked to do: a task kind, or one secure-aggregation stage. */
export type SiteTask =
  | { kind: 'train' | 'stats' }
  | { kind: 'evaluate'; async?: true }
  | { kind: 'secagg'; stage: SecAggStage };

function taskChild(ref: RoundRef, task: SiteTask, worker: Routed, siteCount: number): FlowNestedLeafJob {
  const taskId = jobIds.task(ref, task.kind === 'secagg' ? task.stage : task.kind, worker.site);
  const data: TaskJobData = { ...ref, site: worker.site, taskId, siteCount, ...task };
  return {
    name: task.kind,
    queueName: tasksQueue(worker.instance),
    data,
    // A failed child (deadline, disconnect, bad update) must not block the round: the parent runs
    // once every child has finished or failed, and checks the quorum itself.
    opts: { jobId: taskId, ignoreDependencyOnFailure: true, attempts: 1, ...KEEP },
  };
}

/**
 * Adds `step` as the parent of one `task` per site in `sites`.
 * Deterministic job ids make this idempotent: a step retried after a crash adds nothing twice.
 */
export async function addStepWithTasks(
  flows: FlowProducer,
  step: { name: FlowStep; data: object; jobId: string },
  ref: RoundRef,
  task: SiteTask,
  sites: Routed[],
): Promise<void> {
  await flows.add({
    name: step.name,
    queueName: QUEUE_ROUNDS,
    data: step.data,
    opts: { jobId: step.jobId, ...KEEP },
    children: sites.map((w) => taskChild(ref, task, w, sites.length)),
  });
}

/** Queues the selecting step; `delayMs` spaces out retries of a failed round. */
export async function enqueueSelect(rounds: Queue, data: SelectJobData, delayMs = 0, idSuffix = ''): Promise<void> {
  await rounds.add('select', data, { jobId: jobIds.select(data) + idSuffix, delay: delayMs, ...KEEP });
}
