import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'compliance/index': 'src/compliance/index.ts', 'sim/index': 'src/sim/index.ts', 'sim/cli': 'src/sim/cli.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', 'compliance/index': 'src/compliance/index.ts', 'sim/index': 'src/sim/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // the CLI entry uses node: builtins
  esbuildOptions(options) {
    options.external = [...(options.external ?? []), 'node:*'];
  },
  external: ['@admitone/core'],
});
