export {
  getDocker,
  dockerEndpoint,
  endpointOf,
  dockerError,
  dockerStatus,
  dockerCall,
  withDeadline,
  dockerDeadline,
  setDockerDeadlines,
  isTransientDockerError,
  retryTransient,
  DOCKER_DEADLINES_MS,
  type DockerCallKind,
  type DockerCallOptions,
  type DeadlineOptions,
  type GetDockerOptions,
} from "./client.js";
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
