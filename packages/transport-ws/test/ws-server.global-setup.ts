/**
 * globalSetup for the browser project: starts the Node control server
 * (`ws-control-server.ts`) in a child process and provides its URL to the
 * browser tests as `inject('transportWsControlUrl')`.
 *
 * A child process rather than an in-process import: the server runs the Node
 * entry of `@admitone/transport-ws` on `ws`, resolved from source through the
 * `admitone-source` condition, independently of how Vite resolves modules for
 * the browser project. The child is started through tsx and stopped (SIGTERM,
 * then SIGKILL after 5 s) in teardown.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TestProject } from 'vitest/node';
// Types only: at run time this file must not load @admitone/core, which Vite's server-side module
// runner for the browser project cannot resolve from source.
import type { ControlUrlKey } from './control-protocol.js';

const CONTROL_URL_KEY: ControlUrlKey = 'transportWsControlUrl';

const START_TIMEOUT_MS = 30_000;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const require = createRequire(import.meta.url);
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const server = fileURLToPath(new URL('./ws-control-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=admitone-source', '--import', tsx, server], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`control server did not start within ${START_TIMEOUT_MS} ms: ${out}`)), START_TIMEOUT_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const match = /READY (ws:\/\/\S+)/.exec(out);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`control server exited with code ${String(code)} before it was ready: ${out}`));
    });
  });
  project.provide(CONTROL_URL_KEY, url);

  return async () => {
    child.stdin.end();
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  };
}
