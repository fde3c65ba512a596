import { defineConfig } from "vitest/config";

// Two tiers: `unit` never touches Docker and runs files in parallel;
// `docker` needs an engine and the images from `npm run setup`, runs one file at a time, no retries.
// The proof matrix (scenarios/matrix.docker.test.ts, ~20 min) runs only with K8SM_MATRIX=1
// (`npm run test:matrix`): some of its rows catch their bug only in a share of trials, and it is
// not yet green on every scenario (docs/MATRIX.md), so it does not gate `npm test`.
const matrix = process.env.K8SM_MATRIX === "1";
export default defineConfig({
  test: {
    // build/vitest-results.json: the counts .ci/run prints (`N passed, N failed`).
    reporters: ["default", ["json", { outputFile: "build/vitest-results.json" }]],
    projects: [
      {
        test: {
          name: "unit",
          include: ["{harness,fixtures,scenarios}/**/*.test.ts"],
          exclude: ["**/*.docker.test.ts", "node_modules/**"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "docker",
          include: ["{harness,fixtures,scenarios}/**/*.docker.test.ts"],
          exclude: ["node_modules/**", ...(matrix ? [] : ["scenarios/matrix.docker.test.ts"])],
          fileParallelism: false,
          retry: 0,
          testTimeout: 300_000,
          hookTimeout: 300_000,
          env: { TESTCONTAINERS_RYUK_DISABLED: "true" },
        },
      },
    ],
  },
});
