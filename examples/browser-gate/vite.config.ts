/**
 * Vite configuration of the browser gate app: three pages (wallet, gate,
 * organizer) plus an index, built from the workspace packages' TypeScript
 * sources (the `admitone-source` export condition) with Vite's default client
 * conditions, so `@admitone/transport-ws` resolves to its browser entry.
 */
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The HTML entry points, one per page. */
export const pages = {
  index: `${here}index.html`,
  wallet: `${here}wallet.html`,
  gate: `${here}gate.html`,
  organizer: `${here}organizer.html`,
} as const;

/** The app's Vite configuration (used by `npm start`, the end-to-end test and `vite build`). */
export default defineConfig({
  root: here,
  // relative asset urls: the built app works from any path (a static server, a kiosk's file share)
  base: './',
  clearScreen: false,
  resolve: { conditions: ['admitone-source', ...defaultClientConditions] },
  // Pre-bundle the CommonJS and subpath dependencies up front so the dev server never reloads a page mid-scan.
  optimizeDeps: {
    entries: Object.values(pages),
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
      'eventemitter3',
      'idb-keyval',
      'jsqr',
      'qrcode',
    ],
  },
  server: { host: '127.0.0.1', strictPort: false },
  preview: { host: '127.0.0.1', strictPort: false },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    rolldownOptions: { input: pages },
  },
});
