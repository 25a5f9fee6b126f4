/**
 * Builds and serves the browser app on 127.0.0.1: a production build
 * (`vite build`, about a second) served by `vite preview`, or with `dev` the
 * Vite dev server (on-demand transforms, hot reload).
 * @module
 */
import { fileURLToPath } from 'node:url';
import { build, createServer, preview, type InlineConfig } from 'vite';

/** Options of {@link serveApp}. */
export interface ServeOptions {
  /** Use the dev server instead of a build. */
  readonly dev?: boolean;
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** Where the build goes. Default `examples/browser-gate/dist`. */
  readonly outDir?: string;
  /**
   * A venue node's HTTP url to proxy `/api/*` and the `/ws` stream to, so the
   * pages reach the node API same-origin (no CORS round trips, one origin to
   * configure).
   */
  readonly proxy?: string;
}

/** A serving app. */
export interface ServedApp {
  /** The base url, ending with `/` (e.g. `http://127.0.0.1:4173/`). */
  readonly url: string;
  /** Stops serving. Idempotent. */
  close(): Promise<void>;
}

/** The app's Vite configuration file. */
export const CONFIG_FILE = fileURLToPath(new URL('../vite.config.ts', import.meta.url));

/** Builds (unless `dev`) and serves the app; resolves once it listens. */
export async function serveApp(options: ServeOptions = {}): Promise<ServedApp> {
  const port = options.port ?? 0;
  const proxy =
    options.proxy === undefined
      ? undefined
      : {
          '/api/': { target: options.proxy, changeOrigin: true },
          '/ws': { target: options.proxy.replace(/^http/, 'ws'), ws: true, changeOrigin: true },
        };
  const base: InlineConfig = {
    configFile: CONFIG_FILE,
    logLevel: 'warn',
    ...(options.outDir === undefined ? {} : { build: { outDir: options.outDir } }),
  };
  if (options.dev === true) {
    const server = await createServer({ ...base, server: { port, host: '127.0.0.1', ...(proxy === undefined ? {} : { proxy }) } });
    await server.listen();
    const url = server.resolvedUrls?.local[0];
    if (url === undefined) throw new Error('the dev server did not report its url');
    return { url, close: once(() => server.close()) };
  }
  await build(base);
  const server = await preview({ ...base, preview: { port, host: '127.0.0.1', ...(proxy === undefined ? {} : { proxy }) } });
  const url = server.resolvedUrls?.local[0];
  if (url === undefined) throw new Error('the preview server did not report its url');
  return { url, close: once(() => server.close()) };
}

function once(f: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= f());
}
