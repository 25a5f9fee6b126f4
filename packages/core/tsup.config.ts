import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', 'compliance/index': 'src/compliance/index.ts', 'threshold/index': 'src/threshold/index.ts' },
  // the Node-only entry (`@admitone/core/node`) imports node:crypto
  external: [/^node:/],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  treeshake: true,
});
