#!/usr/bin/env node
// admitone-sim: the deterministic PBFT simulator's command line.
//
// Runs the built CLI (../dist/sim/cli.js) when it exists. In a fresh clone,
// without a build, it runs the TypeScript source instead, through tsx (a root
// devDependency) with the `admitone-source` export condition, so workspace
// packages resolve to their sources too.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const built = join(here, '..', 'dist', 'sim', 'cli.js');
const args = process.argv.slice(2);

if (existsSync(built)) {
  const { main } = await import(pathToFileURL(built).href);
  process.exitCode = await main(args);
} else {
  let loader;
  try {
    loader = createRequire(import.meta.url).resolve('tsx');
  } catch {
    process.stderr.write('admitone-sim: no build (dist/sim/cli.js) and tsx is not installed: run `npm install` at the repository root, or `npm run build`.\n');
    process.exit(2);
  }
  const source = join(here, '..', 'src', 'sim', 'cli.ts');
  const child = spawn(process.execPath, ['--conditions=admitone-source', '--import', pathToFileURL(loader).href, source, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal === null ? 1 : 128 + 2));
  });
}
