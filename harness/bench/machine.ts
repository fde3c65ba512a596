/** What the figures were measured on: the machine, the engine, the code. */
import os from "node:os";
import type Docker from "dockerode";
import { dockerCall } from "../docker/client.js";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryMiB: number;
  kernel: string;
  os: string;
  dockerVersion: string;
  dockerApiVersion: string;
  /** cgroup v1/v2, storage driver: they change what Docker stats report. */
  cgroupVersion: string;
  storageDriver: string;
  nodeVersion: string;
  /** 1/5/15-min load averages when the bench started: other work on the machine skews every figure. */
  loadAverageAtStart: number[];
  /** Containers running at the start that are not this bench's (other runs on the same engine). */
  foreignContainersAtStart: number;
}

export async function machineInfo(docker: Docker): Promise<MachineInfo> {
  const [version, info, running] = await Promise.all([
    dockerCall(docker, "read", "read", "the version", () => docker.version()),
    dockerCall(docker, "read", "read", "the info", () => docker.info() as Promise<{ CgroupVersion?: string; Driver?: string }>),
    dockerCall(docker, "read", "list", "containers", (abortSignal) => docker.listContainers({ abortSignal })),
  ]);
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    cores: os.cpus().length,
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    kernel: os.release(),
    os: `${os.type()} ${os.arch()}`,
    dockerVersion: version.Version,
    dockerApiVersion: version.ApiVersion,
    cgroupVersion: info.CgroupVersion ?? "unknown",
    storageDriver: info.Driver ?? "unknown",
    nodeVersion: process.version,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    foreignContainersAtStart: running.length,
  };
}

/** Moved to harness/version.ts (also used by result.json and `--version`). */
export { gitInfo, type GitInfo } from "../version.js";
