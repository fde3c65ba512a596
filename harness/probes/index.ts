export { type Probe, type ProbeTargets, type Sink, nodeOfIp, httpGet, everyInterval, ChangeFilter } from "./probe.js";
export { etcdKeysProbe } from "./etcd-keys.js";
export { mesosProbe, ipOfPid, MESOS_METRIC_KEYS } from "./mesos.js";
export { apiserverProbe, schedulerProbe, compatDeclines, APISERVER_PORT, SCHEDULER_PORT } from "./scheduler.js";
export { podsProbe } from "./pods.js";
export { logsProbe, dockerEventsProbe, LOG_PATTERNS } from "./logs.js";
