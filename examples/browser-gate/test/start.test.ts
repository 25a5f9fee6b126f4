/**
 * `npm start`, as the README tells a newcomer to run it: the script starts the
 * 4-process venue network, seeds it, builds and serves the app, and prints
 * its url and the page links. This test runs the script itself (a child
 * process, port 0), checks the printed url serves the app and proxies the
 * node API same-origin, then stops it with SIGTERM and checks that it exits 0
 * and takes the venue nodes down with it.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describe('npm start', () => {
  it('serves the app at the printed 127.0.0.1 url, proxies the node API, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--conditions=admitone-source', '--import', TSX, 'scripts/start.ts', '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no url printed within 150 s\nstdout:\n${out}\nstderr:\n${err.slice(-4000)}`)), 150_000);
        const look = (): void => {
          const m = /AdmitOne browser gate: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m !== null && out.includes('Ctrl-C stops')) {
            clearTimeout(timer);
            resolve(m[1] as string);
          }
        };
        child.stdout.on('data', look);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`npm start exited with ${String(code)} before printing its url\nstdout:\n${out}\nstderr:\n${err.slice(-4000)}`));
        });
      });

      // the links a newcomer clicks: one organizer page, two gates, three wallets
      expect(out).toMatch(/Organizer \(create events/);
      expect(out.match(/^Gate [\w-]+:$/gm)).toHaveLength(2);
      expect(out.match(/^Wallet of (alice|bob|carol) /gm)).toHaveLength(3);
      const apiLine = /Venue node API: (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      expect(apiLine).not.toBeNull();
      const nodeApi = (apiLine as RegExpExecArray)[1] as string;

      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
      // the node API, same-origin through the app server's proxy
      const venue = (await (await fetch(`${url}api/v1/venue`)).json()) as { ok: boolean; data: { replicas: { id: string }[] } };
      expect(venue.ok).toBe(true);
      expect(venue.data.replicas).toHaveLength(4);
      expect((await fetch(`${nodeApi}/health`)).status).toBe(200);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // the venue nodes went down with it
      await expect(fetch(`${nodeApi}/health`)).rejects.toThrow();
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  }, 200_000);
});
