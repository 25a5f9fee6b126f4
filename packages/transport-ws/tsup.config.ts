import { defineConfig } from 'tsup';

/**
 * Two entries with the same public API: `index` (Node, on `ws`) and `browser`
 * (the native `WebSocket`). Shared modules become common chunks; `ws` and
 * Node built-ins stay external, and the browser entry never imports them.
 */
export default defineConfig({
  entry: { index: 'src/index.ts', browser: 'src/browser.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['ws', /^node:/],
  treeshake: true,
});
