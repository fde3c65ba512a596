/** The scenario catalogue: an explicit, ordered registry (the order of `--list`). */
import type { ScenarioDefinition } from "../harness/index.js";
import baseline from "./baseline.js";
import hotStandbyKillLeader from "./hot-standby-kill-leader.js";
import incompatibleExecutor from "./incompatible-executor.js";
import killApiserver from "./kill-apiserver.js";
import killEtcdLeader from "./kill-etcd-leader.js";
import killLeader from "./kill-leader.js";
import killScheduler from "./kill-scheduler.js";
import partitionEtcd from "./partition-etcd.js";
import pauseLeader from "./pause-leader.js";
import usr1Failover from "./usr1-failover.js";

export const scenarios: readonly ScenarioDefinition[] = [
  baseline,
  killLeader,
  killScheduler,
  usr1Failover,
  pauseLeader,
  partitionEtcd,
  killEtcdLeader,
  killApiserver,
  incompatibleExecutor,
  hotStandbyKillLeader,
];
