// A heart-disease worker as its own process (`accord worker`), as a hospital runs it: the token comes
// from the environment, never the command line. Shared by the tests that run a federation of processes.
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { type Child, spawnAccord } from '../../simulation/processes.js';

/**
 * Starts `accord worker` for `site` with its heart-disease file, dialing `coordinator` (one address, or
 * several comma-separated for failover); `extra` adds flags (e.g. `--audit FILE`). Logs go to `dir`.
 */
export function spawnHeartWorker(
  site: keyof typeof HEART_DISEASE.sites,
  coordinator: string,
  token: string,
  dir: string,
  extra: string[] = [],
): Child {
  return spawnAccord(
    `worker-${site}`,
    ['worker', '--coordinator', coordinator, '--site', site, '--data', HEART_DISEASE.sites[site], ...extra],
    dir,
    { ACCORD_TOKEN: token },
  );
}
