import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'sim/index': 'src/sim/index.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', 'sim/index': 'src/sim/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['@admitone/core'],
});
