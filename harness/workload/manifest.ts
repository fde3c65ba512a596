/**
 * The one pod the harness creates through nginx, for its workload and for the launch's health
 * check alike: a single busybox container that sleeps, within small limits, restarted if it exits.
 */
export const WORKLOAD_NAMESPACE = "default";
/** Marks the pods the runner measures pod recovery and pod loss on. */
export const WORKLOAD_LABEL = "k8sm-chaos/workload";
/** Marks the launch's health-check pod (created, seen Running, deleted). */
export const HEALTH_LABEL = "k8sm-chaos/health";

export interface PodManifest {
  readonly apiVersion: "v1";
  readonly kind: "Pod";
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly containers: readonly {
      readonly name: string;
      readonly image: string;
      readonly command: readonly string[];
      readonly resources: { readonly limits: Readonly<Record<string, string>> };
    }[];
    readonly restartPolicy: "Always";
  };
}

/** Pod `name` in WORKLOAD_NAMESPACE, labelled `<label>=true`. */
export function sleepPod(name: string, label: typeof WORKLOAD_LABEL | typeof HEALTH_LABEL): PodManifest {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: WORKLOAD_NAMESPACE, labels: { [label]: "true" } },
    spec: {
      containers: [{ name: "sleep", image: "busybox", command: ["sleep", "86400"], resources: { limits: { cpu: "100m", memory: "32Mi" } } }],
      restartPolicy: "Always",
    },
  };
}

/** The pods' collection URL under an apiserver URL (`http://<nginx>:80`). */
export function podsUrl(apiUrl: string): string {
  return `${apiUrl}/api/v1/namespaces/${WORKLOAD_NAMESPACE}/pods`;
}
