import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { defaultClientConditions } from 'vite';

/**
 * Two projects: `node` runs every test under Node 20; `browser` runs the
 * platform-neutral suites in real headless Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core). Tests import workspace packages from source via
 * the `admitone-source` export condition, so no build is needed to test.
 */
const conditions = ['admitone-source'];
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { conditions },
        ssr: { resolve: { conditions } },
        test: {
          name: 'node',
          environment: 'node',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          // *.slow.test.ts is the simulator's slow lane: `npm run test:slow` runs it with ADMITONE_SLOW=1
          exclude: ['**/*.browser.test.ts', '**/node_modules/**', ...(process.env.ADMITONE_SLOW === '1' ? [] : ['**/*.slow.test.ts'])],
          testTimeout: 30_000,
        },
      },
      {
        // Keep Vite's default client conditions (module, browser, …): packages such as
        // @admitone/transport-ws select their browser entry through the `browser` condition.
        resolve: { conditions: [...conditions, ...defaultClientConditions] },
        // Pre-bundle noble's subpath modules so Vite does not reload the page mid-run.
        optimizeDeps: {
          include: [
            '@noble/ciphers/chacha.js',
            '@noble/curves/abstract/curve.js',
            '@noble/curves/abstract/frost.js',
            '@noble/curves/abstract/hash-to-curve.js',
            '@noble/curves/abstract/modular.js',
            '@noble/curves/bn254.js',
            '@noble/curves/ed25519.js',
            '@noble/curves/utils.js',
            '@noble/hashes/hkdf.js',
            '@noble/hashes/sha2.js',
            '@noble/hashes/sha3.js',
            '@noble/hashes/utils.js',
            'cborg',
            'cborg/taglib',
            'fast-check',
            'idb-keyval',
          ],
        },
        test: {
          name: 'browser',
          include: ['packages/*/test/**/*.shared.test.ts', 'packages/*/test/**/*.browser.test.ts'],
          // Starts the Node peers that the transport-ws browser tests dial (a child process).
          globalSetup: ['packages/transport-ws/test/ws-server.global-setup.ts'],
          testTimeout: 30_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: chromium,
                args: [
                  '--no-sandbox',
                  '--disable-gpu',
                  '--disable-background-networking',
                  '--disable-component-update',
                  '--disable-sync',
                  '--no-first-run',
                ],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
