export { getDocker, dockerEndpoint, dockerError, dockerStatus, type GetDockerOptions } from "./client.js";
export { newRunId, RUN_ID_PATTERN } from "./run-id.js";
export { LABELS, runLabels, runLabelFilter } from "./labels.js";
export { createRunNetwork, networkName, type RunNetwork } from "./network.js";
export {
  startContainer,
  forceRemove,
  StartedContainer,
  type ContainerSpec,
  type ContainerState,
  type ExecResult,
  type LogStream,
  type StartOptions,
  type WaitSpec,
} from "./containers.js";
export { reap, isAlive, type ReapOptions, type ReapResult, type ReapedResource } from "./reaper.js";
