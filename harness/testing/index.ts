/**
 * The harness's helpers for tests, and the contract values the emulations' tests check theirs
 * against (etcd keys, the detector's re-poll, Go's duration text): the only module of harness/testing/ that fixtures/ tests import. It pulls in none of the
 * engine, so those tests do not depend on it. Nothing here is for scenarios or for the harness's
 * own source (eslint enforces both).
 */
export { startLocalEtcd, freePort, type LocalEtcd } from "./local-etcd.js";
export { GO_DURATION_STRINGS, GO_DURATION_PARSES, GO_DURATION_ERRORS } from "./go-durations.js";
export { WATCHED_KEYS } from "../history/types.js";
export { DETECTOR_REPOLL_MS } from "../timing-oracle/windows.js";
export { BUGS, BUG_NAMES } from "../topology/bugs.js";
