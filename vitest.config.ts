import { defineConfig } from "vitest/config";

const env = { AWS_REGION: "cn-north-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" };

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // Tests run with no AWS account: fixed fake credentials and region, never the machine's.
    env,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**", "test/faults/**"],
          pool: "forks",
        },
      },
      {
        // End-to-end suites share the test stage's sandbox port: one local cloud at a time.
        extends: true,
        test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], fileParallelism: false, pool: "forks" },
      },
      {
        // Faults, overload, bad input and attacks through the local cloud (docs/RELIABILITY.md): one local cloud
        // at a time too, and only once the other projects are done (they share the sandbox port, and the load and
        // isolation runs need the machine to themselves); each suite writes its figures to .hub/reliability/figures/.
        extends: true,
        test: {
          name: "faults",
          sequence: { groupOrder: 1 },
          include: ["test/faults/**/*.test.ts"],
          fileParallelism: false,
          pool: "forks",
          globalSetup: ["test/faults/global-setup.ts"],
        },
      },
    ],
  },
});
