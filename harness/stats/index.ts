/**
 * Statistics for studies and regression gates: bootstrap intervals and shifts, Wilson rates,
 * sample summaries and OLS. What each figure means and assumes: docs/STATISTICS.md.
 */
export { bootstrapInterval, bootstrapShift, median, quantileStat, DEFAULT_RESAMPLES, type Interval, type Shift, type SortedStat, type BootstrapOptions } from "./bootstrap.js";
export { wilson, type Proportion } from "./proportion.js";
export { describe, ecdf, type Description } from "./describe.js";
export { linearModel, type LinearModel, type Coefficient, type Row } from "./linear-model.js";
export { DEFAULT_LEVEL } from "./validate.js";
