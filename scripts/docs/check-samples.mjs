#!/usr/bin/env node
// check-samples: type-checks the TypeScript code samples of the documentation.
//
//   node scripts/docs/check-samples.mjs            # README.md, packages/*/README.md, examples/*/README.md, docs/*.md
//   node scripts/docs/check-samples.mjs docs/x.md  # only the files named
//
// Every ```ts (or ```typescript) fenced block becomes one module under `.samples/` at the repository
// root (recreated on each run, left behind for inspection; it is git-ignored). A module may use top-level
// await. The folder gets a tsconfig that extends the repository's `tsconfig.base.json` (every strict flag,
// `customConditions: ["admitone-source"]`, so `@admitone/*` resolves through node_modules to the
// workspace sources) and adds Node's types, as the root `tsconfig.json` does; then `tsc --noEmit` runs over
// it once.
//
// A block whose first line starts with `// @skip-check` is not checked; say why on that line. A block
// whose first line is `// file: name.ts` is written under that name, so that later blocks of a guide can
// import it (`import { x } from './name.js'`), as files of one small project; names must be unique across
// the checked documents. A block that is deliberately a fragment may use the free variables declared in
// `scripts/docs/prelude.d.ts`; prefer complete samples.
//
// Output: one line per error, `file.md:LINE: TSxxxx message`, LINE being the Markdown line of the
// offending code. Only errors inside samples count: errors that tsc reports in workspace sources are
// summarised in one line (run `npm run check` for them). Exit status: 0 when every sample type-checks,
// 1 when one does not, 2 when the checker itself cannot run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, '.samples');
const PRELUDE = join(ROOT, 'scripts', 'docs', 'prelude.d.ts');
const SKIP_MARK = '// @skip-check';
const FILE_MARK = /^\/\/ file: ([A-Za-z][A-Za-z0-9_.-]*\.ts)\s*$/;
const TS_LANGS = new Set(['ts', 'typescript']);

main();

function main() {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write('Usage: node scripts/docs/check-samples.mjs [file.md ...]\n');
    return;
  }
  const files = args.length > 0 ? args.map((a) => resolve(a)) : defaultFiles();
  for (const f of files) {
    if (!existsSync(f)) fatal(`no such file: ${relative(ROOT, f)}`);
  }

  const blocks = [];
  let skipped = 0;
  for (const file of files) {
    for (const block of extractBlocks(readFileSync(file, 'utf8'))) {
      if (block.lines[0]?.trimStart().startsWith(SKIP_MARK)) {
        skipped++;
        continue;
      }
      blocks.push({ ...block, file: relative(ROOT, file) });
    }
  }

  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'prelude.d.ts'), existsSync(PRELUDE) ? readFileSync(PRELUDE, 'utf8') : '');
  writeFileSync(
    join(OUT, 'tsconfig.json'),
    `${JSON.stringify(
      {
        extends: '../tsconfig.base.json',
        compilerOptions: { noEmit: true, declaration: false, sourceMap: false, types: ['node'] },
        include: ['*.ts'],
      },
      null,
      2,
    )}\n`,
  );

  // sample module name → where its lines come from
  const origin = new Map();
  const HEADER = 1; // the `// from …` line
  blocks.forEach((block, i) => {
    const named = FILE_MARK.exec(block.lines[0] ?? '');
    const name = named !== null ? named[1] : `${String(i + 1).padStart(3, '0')}-${block.file.replace(/[^A-Za-z0-9]+/g, '_')}-L${block.startLine}.ts`;
    const previous = origin.get(name);
    if (previous !== undefined) fatal(`${block.file}:${block.startLine}: sample file name ${name} is already used at ${previous.file}:${previous.startLine}`);
    const body = [`// from ${block.file}:${block.startLine}`, ...block.lines, '', 'export {};', ''].join('\n');
    writeFileSync(join(OUT, name), body);
    origin.set(name, { ...block, header: HEADER });
  });

  if (blocks.length === 0) {
    process.stdout.write(`check-samples: no TypeScript samples found (${skipped} skipped)\n`);
    return;
  }

  const tsc = resolveTsc();
  const started = Date.now();
  const run = spawnSync(process.execPath, [tsc, '-p', join(OUT, 'tsconfig.json'), '--pretty', 'false'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error !== undefined) fatal(`could not run tsc: ${run.error.message}`);
  const diagnostics = parseDiagnostics(`${run.stdout}${run.stderr}`);
  if (run.status !== 0 && diagnostics.length === 0) fatal(`tsc exited with status ${run.status} without diagnostics:\n${run.stdout}${run.stderr}`);

  const inSamples = [];
  const elsewhere = new Set();
  for (const d of diagnostics) {
    const abs = resolve(ROOT, d.file);
    const name = abs.startsWith(OUT + sep) ? relative(OUT, abs) : undefined;
    const src = name === undefined ? undefined : origin.get(name);
    if (name !== undefined && src === undefined) {
      // the prelude or the tsconfig: a problem of the checker's own files
      inSamples.push({ where: `.samples/${name}:${d.line}`, block: undefined, ...d });
    } else if (src === undefined) {
      elsewhere.add(d.file);
    } else {
      const codeLine = d.line - src.header; // 1-based line inside the block
      const mdLine = codeLine >= 1 && codeLine <= src.lines.length ? src.startLine + codeLine : src.startLine;
      inSamples.push({ where: `${src.file}:${mdLine}`, block: `${src.file}:${src.startLine}`, ...d });
    }
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (inSamples.length > 0) {
    const failingBlocks = new Set(inSamples.map((e) => e.block ?? e.where));
    for (const e of inSamples) {
      process.stdout.write(`${e.where}: ${e.code} ${e.message}${e.block === undefined ? '' : `  [block at ${e.block}]`}\n`);
    }
    process.stdout.write(`check-samples: ${failingBlocks.size} of ${blocks.length} samples fail (${inSamples.length} errors; ${skipped} skipped; tsc ${seconds} s)\n`);
  } else {
    process.stdout.write(`check-samples: ${blocks.length} samples type-check (${skipped} skipped; tsc ${seconds} s)\n`);
  }
  if (elsewhere.size > 0) {
    process.stdout.write(`check-samples: note: tsc also reported errors in ${elsewhere.size} workspace file(s) outside the samples (not counted; see \`npm run check\`): ${[...elsewhere].slice(0, 5).join(', ')}${elsewhere.size > 5 ? ', …' : ''}\n`);
  }
  process.exitCode = inSamples.length > 0 ? 1 : 0;
}

/** README.md, packages/<name>/README.md and docs/*.md (not recursive: docs/api is generated). */
function defaultFiles() {
  const files = [join(ROOT, 'README.md')];
  for (const folder of ['packages', 'examples']) {
    const parent = join(ROOT, folder);
    for (const name of readdirSync(parent).sort()) {
      const readme = join(parent, name, 'README.md');
      if (existsSync(readme)) files.push(readme);
    }
  }
  const docs = join(ROOT, 'docs');
  for (const name of readdirSync(docs).sort()) {
    const path = join(docs, name);
    if (name.endsWith('.md') && statSync(path).isFile()) files.push(path);
  }
  return files.filter((f) => existsSync(f));
}

/**
 * The ```ts / ```typescript fenced blocks of a CommonMark document, each with `startLine`, the
 * Markdown line (1-based) of its opening fence, so code line k (1-based) is Markdown line
 * `startLine + k`. Fences may be indented (the indent is removed from the code) and use backticks or tildes; a block closes at a fence of the same character at least as long, without an
 * info string. Blocks inside other fences (e.g. a ```md example) are not samples.
 */
function extractBlocks(text) {
  const lines = text.split(/\r?\n/);
  const blocks = [];
  let open; // { char, length, indent, lang, fenceLine, lines }
  lines.forEach((line, index) => {
    const fence = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(line);
    if (open === undefined) {
      if (fence === null) return;
      const [, indent, marks, info] = fence;
      if (marks[0] === '`' && info.includes('`')) return; // not a fence (CommonMark)
      const lang = info.trim().split(/[\s{]/)[0]?.toLowerCase() ?? '';
      open = { char: marks[0], length: marks.length, indent: indent.length, lang, fenceLine: index + 1, lines: [] };
      return;
    }
    if (fence !== null && fence[2][0] === open.char && fence[2].length >= open.length && fence[3].trim() === '') {
      if (TS_LANGS.has(open.lang)) blocks.push({ startLine: open.fenceLine, lines: open.lines });
      open = undefined;
      return;
    }
    let strip = 0;
    while (strip < open.indent && line[strip] === ' ') strip++;
    open.lines.push(line.slice(strip));
  });
  // an unclosed fence runs to the end of the document (CommonMark); check it too
  if (open !== undefined && TS_LANGS.has(open.lang)) blocks.push({ startLine: open.fenceLine, lines: open.lines });
  return blocks;
}

/** `file(line,col): error TSnnnn: message` plus indented continuation lines. */
function parseDiagnostics(output) {
  const out = [];
  for (const line of output.split(/\r?\n/)) {
    const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line);
    if (m !== null) {
      out.push({ file: m[1], line: Number(m[2]), column: Number(m[3]), code: m[4], message: m[5] });
    } else if (/^error (TS\d+): /.test(line)) {
      const [, code, message] = /^error (TS\d+): (.*)$/.exec(line);
      out.push({ file: '.samples/tsconfig.json', line: 0, column: 0, code, message });
    } else if (line.startsWith(' ') && out.length > 0 && line.trim() !== '') {
      const last = out[out.length - 1];
      last.message += ` ${line.trim()}`;
    }
  }
  return out;
}

function resolveTsc() {
  try {
    return createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    fatal('typescript is not installed: run `npm install` at the repository root');
  }
}

function fatal(message) {
  process.stderr.write(`check-samples: ${message}\n`);
  process.exit(2);
}
