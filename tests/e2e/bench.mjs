// App latency benchmark: time from the last keystroke to the first (fused)
// results painted, and to the reranked order painted, in the real window.
//
// Corpus: BEIR SciFact (5,183 abstracts, one .txt each), indexed first with
// the `crumb` CLI into a temp data dir, so the app opens straight on search.
// Reranker: the folder in CRUMB_BENCH_RERANKER (default: the xsmall-v1
// architecture with random weights from ../shared/models, right for timing).
// Queries: the first N SciFact test queries (CRUMB_BENCH_QUERIES, default 40).
// Run under Xvfb through scripts/bench-app.sh.

import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { WebDriver } from "./webdriver.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
const app = resolve(process.env.CRUMB_APP ?? join(target, "debug/crumb-app"));
const cli = resolve(process.env.CRUMB_CLI ?? join(target, "debug/crumb"));
const shared = resolve(process.env.CRUMB_SHARED ?? join(root, "../shared"));
const reranker = resolve(process.env.CRUMB_BENCH_RERANKER ?? join(shared, "models/mxbai-rerank-xsmall-v1-arch-random"));
const nQueries = Number(process.env.CRUMB_BENCH_QUERIES ?? 40);
// The index is built with this embedder, so the app searches hybrid and loads it.
const embedder = process.env.CRUMB_BENCH_EMBEDDER ?? join(root, ".cache/models/minilm");
const port = Number(process.env.TAURI_DRIVER_PORT ?? 4444);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const world = mkdtempSync(join(tmpdir(), "crumb-bench-"));
// CRUMB_BENCH_CORPUS + CRUMB_BENCH_DATA_FROM reuse an index that
// scripts/bench-scifact.py built over the same abstracts (its work dir's
// docs/ and data-minilm/): the data dir is copied, and the `crumb index`
// below then finds every file unchanged. Otherwise the abstracts are written
// and embedded from scratch (several minutes on 2 cores).
const corpus = process.env.CRUMB_BENCH_CORPUS ?? join(world, "scifact");
const dataDir = join(world, "data");
if (process.env.CRUMB_BENCH_DATA_FROM) {
  cpSync(process.env.CRUMB_BENCH_DATA_FROM, dataDir, { recursive: true });
} else {
  mkdirSync(corpus, { recursive: true });
  for (const line of readFileSync(join(shared, "datasets/scifact/corpus.jsonl"), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const d = JSON.parse(line);
    writeFileSync(join(corpus, `${d._id}.txt`), `${d.title}\n\n${d.text}\n`);
  }
}
const testIds = readFileSync(join(shared, "datasets/scifact/qrels/test.tsv"), "utf8").split("\n").slice(1).map((l) => l.split("\t")[0]).filter(Boolean);
const text = new Map(readFileSync(join(shared, "datasets/scifact/queries.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => { const q = JSON.parse(l); return [q._id, q.text]; }));
const queries = [...new Set(testIds)].slice(0, nQueries).map((id) => text.get(id));

const t0 = Date.now();
execFileSync(cli, ["--data-dir", dataDir, "index", corpus, "--embedder", embedder, "--reranker", "none"], { stdio: "inherit" });
console.log(`indexed with the CLI in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const haveReranker = existsSync(join(reranker, "config.json"));
if (haveReranker) cpSync(reranker, join(dataDir, "models/mxbai-rerank-xsmall-v1"), { recursive: true });

const env = { ...process.env, CRUMB_CONFIG_DIR: join(world, "config"), CRUMB_DATA_DIR: dataDir, RUST_LOG: "warn" };
const driver = spawn("tauri-driver", ["--port", String(port)], { env, stdio: "ignore" });
const wd = new WebDriver(`http://127.0.0.1:${port}`);
const firsts = [];
const reranked = [];
const finals = [];
try {
  await wd.until("tauri-driver", async () => (await fetch(`http://127.0.0.1:${port}/status`)).ok, 15000, 200);
  await wd.start(app);
  await wd.until("boot", () => wd.exec("return document.body.dataset.ready === 'true'"), 30000);
  await wd.until("catch-up indexing", () => wd.exec("return document.getElementById('index-strip').dataset.running !== 'true'"), 120000, 250);
  // The model loader runs in the background after start; give it time.
  await sleep(3000);
  const input = await wd.find("#q");
  for (const [i, q] of queries.entries()) {
    await wd.clear(input);
    await wd.type(input, q);
    await wd.until(`query ${i}`, () => wd.exec("return document.body.dataset.phase === 'done' && document.body.dataset.query === arguments[0]", [q]), 60000, 20);
    await sleep(150);
    const t = await wd.exec("const l = window.__crumbTimings; return l[l.length - 1]");
    if (i === 0) continue; // warm-up: first query loads caches and sessions
    if (t?.firstPaintMs != null) firsts.push(t.firstPaintMs);
    if (t?.rerankedPaintMs != null) reranked.push(t.rerankedPaintMs);
    if (t?.finalPaintMs != null) finals.push(t.finalPaintMs);
  }
} finally {
  await wd.stop();
  driver.kill("SIGTERM");
  rmSync(world, { recursive: true, force: true });
}

const pct = (xs, p) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]);
};
const out = {
  queries: firsts.length,
  reranker: haveReranker ? reranker : null,
  first_paint_ms: { p50: pct(firsts, 50), p95: pct(firsts, 95) },
  embedder,
  reranked_top10_paint_ms: { p50: pct(reranked, 50), p95: pct(reranked, 95) },
  final_paint_ms: { p50: pct(finals, 50), p95: pct(finals, 95) },
  note: "from the last keystroke; includes the UI's 15 ms debounce",
};
console.log(JSON.stringify(out, null, 2));
