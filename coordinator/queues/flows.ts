// Building BullMQ flow children: one `train` or `evaluate` job per site, routed to the tasks queue of
// the coordinator instance that holds the site's stream.
import type { FlowNestedLeafJob } from 'bullmq';
import type { SecAggStage } from '../../shared/config/schema';
import type { TaskJobData } from '../rounds/context';
import { type RoundRef, jobIds, tasksQueue } from './names';

export const KEEP = { removeOnComplete: { age: 3600 }, removeOnFail: { age: 86400 } } as const;

export function taskChild(ref: RoundRef, kind: 'train' | 'evaluate' | 'secagg' | 'stats', worker: { site: string; instance: string }, stage?: SecAggStage): FlowNestedLeafJob {
  const taskId = jobIds.task(ref, stage ?? kind, worker.site);
  const data: TaskJobData = { ...ref, kind, site: worker.site, taskId, ...(stage ? { stage } : {}) };
  return {
    name: kind,
    queueName: tasksQueue(worker.instance),
    data,
    // A failed child (deadline, disconnect, bad update) must not block the round: the parent runs
    // once every child has finished or failed, and checks the quorum itself.
    opts: { jobId: taskId, ignoreDependencyOnFailure: true, attempts: 1, ...KEEP },
  };
}
