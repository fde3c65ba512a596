// jstat ships no type declarations: only the two functions harness/stats uses, typed here.
declare module "jstat" {
  interface JStat {
    studentt: {
      /** Quantile of Student's t with `dof` degrees of freedom. */
      inv(p: number, dof: number): number;
      /** CDF of Student's t with `dof` degrees of freedom. */
      cdf(x: number, dof: number): number;
    };
    normal: {
      /** Quantile of the normal distribution. */
      inv(p: number, mean: number, sd: number): number;
    };
  }
  const jstat: JStat & { readonly jStat: JStat };
  export default jstat;
}
