/** harness/topology's StartedTopology, seen as what the scenario runner needs. */
import { LABELS } from "../docker/labels.js";
import { HarnessError } from "../errors.js";
import { launchTopology } from "../topology/launch.js";
import type { TopologySpec } from "../topology/spec.js";
import type { ScenarioTopology } from "./run-scenario.js";

export async function scenarioTopology(
  spec: TopologySpec,
  opts: { runId: string; signal: AbortSignal; logDir?: string; keep?: boolean; onProgress?: (line: string) => void },
): Promise<ScenarioTopology> {
  const t = await launchTopology(spec, { runId: opts.runId, signal: opts.signal, logDir: opts.logDir, keep: opts.keep, onProgress: opts.onProgress });
  const node = (name: string) => t.node(name).container;
  if (!t.endpoints.mesosMaster) {
    await t.stop();
    throw new HarnessError("E_IMAGE_MISSING", "the topology has no Mesos master: the fixture image lacks the Mesos emulations", "rebuild the images with npm run setup");
  }
  return {
    spec: t.spec,
    targets: {
      etcdUrls: t.endpoints.etcd,
      apiUrl: t.endpoints.apiserver,
      mesosUrl: t.endpoints.mesosMaster,
      masters: t.nodes.masters.map((m) => ({ name: m.role, ip: m.ip, container: m.name })),
    },
    etcd: t.nodes.etcd.map((m) => ({ name: m.role, ip: m.ip, container: m.name })),
    labelFilter: `${LABELS.runId}=${t.runId}`,
    kill: (c, s) => t.kill(c, s as NodeJS.Signals),
    pause: (c) => t.pause(c),
    unpause: (c) => t.unpause(c),
    start: (c) => node(c).start(),
    exec: (c, cmd) => t.exec(c, cmd),
    stop: () => t.stop(),
  };
}
