/**
 * Ordinary least squares for the tuning study: which knobs move a failover time, by how much per
 * unit, and how sure we are. Matrix algebra by ml-matrix (maintained, typed, no heavy dependencies);
 * Student-t quantiles by jstat (the one small library with them; simple-statistics has none).
 *
 * Factors are centred and scaled to unit variance before the fit (timeouts in ms next to 0/1 flags
 * would otherwise make XᵀX ill-conditioned), then coefficients and their covariance are mapped back
 * to the caller's units, so the figures match R's `lm(y ~ x1 + x2 + ...)`.
 */
import { inverse, Matrix } from "ml-matrix";
import { checkLevel, DEFAULT_LEVEL, tCritical, tPValue } from "./validate.js";

export interface Coefficient {
  /** "intercept" or the factor's name. */
  readonly name: string;
  /** Change of y per unit of the factor, the others held fixed (for the intercept: y at all factors 0). */
  readonly estimate: number;
  /** Standard error. */
  readonly se: number;
  /** t-based confidence interval at the model's level. */
  readonly lo: number;
  readonly hi: number;
  /** Two-sided p-value of estimate = 0 (R's `Pr(>|t|)`). */
  readonly p: number;
}

export interface LinearModel {
  /** Rows fitted. */
  readonly n: number;
  /** Residual degrees of freedom: n − coefficients. */
  readonly df: number;
  /** Share of y's variance explained; 1 when y is constant (the fit is exact). */
  readonly r2: number;
  /** Residual standard error, in y's unit (R's `sigma`). */
  readonly residualSe: number;
  readonly level: number;
  /**
   * Factors left out: no variance in the data (a knob the rows never varied), or an exact linear
   * combination of factors before it in `factors` (two knobs always moved together). Their effect
   * cannot be told apart from the intercept or the other knobs.
   */
  readonly dropped: readonly string[];
  /** "intercept" first, then the kept factors in the order given. */
  readonly coefficients: readonly Coefficient[];
  /** Fitted y at `x` (dropped factors are ignored; a kept factor missing from `x` throws RangeError). */
  readonly predict: (x: Readonly<Record<string, number>>) => number;
}

export interface Row {
  readonly y: number;
  readonly x: Readonly<Record<string, number>>;
}

/**
 * A factor whose spread is below this share of its magnitude counts as constant: a few ulps of
 * rounding, not a knob that moved (a timestamp of 1.7e12 that moves by 1 still counts as varying).
 */
const CONSTANT_TOLERANCE = 64 * Number.EPSILON;
/** A factor whose part not explained by the earlier kept ones is below this share of its variance is collinear. */
const COLLINEAR_TOLERANCE = 1e-10;

/**
 * OLS `y ≈ b0 + Σ b_f·x_f` with t-based coefficient intervals at `level` (default 0.95). Assumes
 * the effects are linear and additive over the range the rows span, independent errors with
 * constant variance, and (for the intervals) roughly normal errors. Throws RangeError when a row
 * lacks a factor or holds a non-finite value, or when n ≤ the number of coefficients left after
 * dropping (no residual degrees of freedom).
 */
export function linearModel(rows: readonly Row[], factors: readonly string[], level: number = DEFAULT_LEVEL): LinearModel {
  checkLevel(level);
  const seen = new Set<string>();
  for (const f of factors) {
    if (f === "intercept") throw new RangeError(`"intercept" is reserved for the constant term: rename the factor`);
    if (seen.has(f)) throw new RangeError(`factor "${f}" is listed twice`);
    seen.add(f);
  }
  const n = rows.length;
  rows.forEach((r, i) => {
    if (!Number.isFinite(r.y)) throw new RangeError(`rows[${i}].y is ${r.y}: drop rows without a finite y before fitting`);
    for (const f of factors) {
      const v = r.x[f];
      if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`rows[${i}].x.${f} is ${v}: every row needs a finite value for every factor`);
    }
  });

  // Standardise each factor; drop constant and collinear ones (modified Gram–Schmidt on the
  // standardised columns: the intercept is orthogonal to them by centring).
  const kept: { name: string; mean: number; sd: number; z: Float64Array }[] = [];
  const basis: Float64Array[] = [];
  const dropped: string[] = [];
  for (const f of factors) {
    const col = rows.map((r) => r.x[f]!);
    const mean = col.reduce((a, v) => a + v, 0) / Math.max(n, 1);
    const sd = Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(n, 1));
    const scale = col.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    if (n === 0 || !(sd > CONSTANT_TOLERANCE * scale)) {
      dropped.push(f);
      continue;
    }
    const z = Float64Array.from(col, (v) => (v - mean) / sd);
    const r = Float64Array.from(z);
    for (const q of basis) {
      const d = dot(r, q);
      for (let i = 0; i < n; i++) r[i]! -= d * q[i]!;
    }
    const rr = dot(r, r);
    if (rr / n < COLLINEAR_TOLERANCE) {
      dropped.push(f);
      continue;
    }
    basis.push(r.map((v) => v / Math.sqrt(rr)));
    kept.push({ name: f, mean, sd, z });
  }

  const p = kept.length + 1;
  if (n <= p) {
    throw new RangeError(
      `${n} rows cannot fit ${p} coefficients (intercept${kept.length ? ", " + kept.map((k) => k.name).join(", ") : ""}) with any residual degrees of freedom: run more trials or fit fewer factors`,
    );
  }
  const df = n - p;

  // Fit on the standardised design D = [1, z_1, ..., z_k].
  const D = new Matrix(n, p);
  for (let i = 0; i < n; i++) {
    D.set(i, 0, 1);
    kept.forEach((k, j) => D.set(i, j + 1, k.z[i]!));
  }
  const y = Matrix.columnVector(rows.map((r) => r.y));
  const Dt = D.transpose();
  const dtdInv = inverse(Dt.mmul(D));
  const gamma = dtdInv.mmul(Dt.mmul(y));
  const fitted = D.mmul(gamma);
  const ybar = rows.reduce((a, r) => a + r.y, 0) / n;
  let sse = 0, sst = 0;
  for (let i = 0; i < n; i++) {
    sse += (rows[i]!.y - fitted.get(i, 0)) ** 2;
    sst += (rows[i]!.y - ybar) ** 2;
  }
  const residualSe = Math.sqrt(sse / df);
  const r2 = sst === 0 ? 1 : Math.max(0, 1 - sse / sst);

  // Back to the caller's units: b_f = γ_f / sd_f, b0 = γ_0 − Σ b_f·mean_f; Cov(b) = T·Cov(γ)·Tᵀ.
  const T = Matrix.eye(p, p);
  kept.forEach((k, j) => {
    T.set(j + 1, j + 1, 1 / k.sd);
    T.set(0, j + 1, -k.mean / k.sd);
  });
  const beta = T.mmul(gamma);
  const cov = T.mmul(dtdInv).mmul(T.transpose()).mul(residualSe ** 2);
  const t = tCritical(level, df);
  const names = ["intercept", ...kept.map((k) => k.name)];
  const coefficients: Coefficient[] = names.map((name, j) => {
    const estimate = beta.get(j, 0);
    const se = Math.sqrt(Math.max(0, cov.get(j, j)));
    return { name, estimate, se, lo: estimate - t * se, hi: estimate + t * se, p: se === 0 ? (estimate === 0 ? 1 : 0) : tPValue(estimate / se, df) };
  });

  const predict = (x: Readonly<Record<string, number>>): number => {
    let v = coefficients[0]!.estimate;
    for (let j = 1; j < coefficients.length; j++) {
      const c = coefficients[j]!;
      const xv = x[c.name];
      if (typeof xv !== "number" || !Number.isFinite(xv)) throw new RangeError(`predict: x.${c.name} is ${xv}: pass a finite value for every kept factor`);
      v += c.estimate * xv;
    }
    return v;
  };
  return { n, df, r2, residualSe, level, dropped, coefficients, predict };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
