#!/usr/bin/env node
// Writes the back office worker's wrangler configuration from the citizen worker's, so that a
// city keeps one file (wrangler.toml) and the two workers can never disagree on a setting.
// The back office gets the same [vars], databases and limits under the name "<name>-backoffice"
// and its own entry, and none of what belongs to the deployment's entry: no public URL
// (workers_dev, preview URLs, routes), no cron triggers and no queue consumer (the citizen
// worker runs those), no static assets, no build command and no service bindings.
// See docs/deploy.md, "Two workers".
//
//   node scripts/backoffice-config.mjs <citizen wrangler.toml> <out.toml> [--secrets FILE]
//
// Paths in the output are absolute, so it may be written anywhere. wrangler dev reads the
// back office's local secrets from the .dev.vars beside its configuration (the entry's
// --env-file is the entry's alone): --secrets copies FILE there.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const [src, out, flag, secrets] = process.argv.slice(2);
if (!src || !out || (flag !== undefined && (flag !== "--secrets" || !secrets))) {
  console.error("usage: node scripts/backoffice-config.mjs <citizen wrangler.toml> <out.toml> [--secrets FILE]");
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = dirname(resolve(src));
const fail = (message) => {
  console.error(`${src}: ${message}`);
  process.exit(1);
};

// Tables are sorted into the entry's and both workers'; a table in neither list stops the
// script, so that nothing reaches the back office (or is kept from it) by a guess.
const ENTRY_ONLY = new Set(["build", "triggers", "queues.consumers", "services", "assets", "routes"]);
const SHARED_TABLES = new Set([
  "vars", "d1_databases", "ratelimits", "queues.producers", "observability", "observability.logs",
  "observability.traces", "placement", "limits", "kv_namespaces", "r2_buckets", "hyperdrive",
  "analytics_engine_datasets", "version_metadata",
]);
// Top-level keys both workers share; every other top-level key is the entry's.
const SHARED_TOP = new Set(["compatibility_date", "compatibility_flags", "account_id", "keep_vars"]);

const value = (raw) => raw.replace(/\s+#.*$/, "").trim();
const string = (raw) => {
  const v = value(raw);
  return v.startsWith('"') ? JSON.parse(v) : v;
};

let table = null; // null: the top level
let skipping = false;
let inArray = false;
let name = null;
const services = [];
let service = null;
const kept = [];
for (const line of readFileSync(src, "utf8").split("\n")) {
  if (!inArray && /^\s*\[/.test(line)) {
    // Only plain headers: a quoted or spaced one ([env."prod"], [ vars ]) is refused rather
    // than misread.
    const header = line.match(/^\[\[?([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\]\]?\s*(#.*)?$/);
    if (!header) fail(`a table header this script does not read: ${line.trim()}`);
    table = header[1];
    if (table === "env" || table.startsWith("env."))
      fail(`[${table}]: environments are not supported; use one file per deployment`);
    if (!ENTRY_ONLY.has(table) && !SHARED_TABLES.has(table))
      fail(`[${table}] is not known to scripts/backoffice-config.mjs: add it there to the entry's tables or to both workers'`);
    skipping = ENTRY_ONLY.has(table);
    if (table === "services") services.push((service = {}));
    if (!skipping) kept.push(line);
    continue;
  }
  const kv = line.match(/^\s*([A-Za-z0-9_-]+)\s*=\s*(.*)$/);
  if (table === null) {
    if (inArray) {
      if (/^\s*\]/.test(line)) inArray = false;
      continue;
    }
    if (!kv) continue;
    const [, key, raw] = kv;
    if (key === "name") name = string(raw);
    if (value(raw).startsWith("[") && !value(raw).endsWith("]")) inArray = true;
    if (SHARED_TOP.has(key)) kept.push(line);
    continue;
  }
  if (table === "services" && kv) service[kv[1]] = string(kv[2]);
  if (skipping) continue;
  const dir = line.match(/^(\s*migrations_dir\s*=\s*)"([^"]*)"(.*)$/);
  kept.push(dir ? `${dir[1]}${JSON.stringify(resolve(srcDir, dir[2]))}${dir[3]}` : line);
}

if (!name) fail("no top-level name");
if (inArray) fail("a top-level array is not closed");
const backOffice = `${name}-backoffice`;
const binding = services.find((s) => s.binding === "BACKOFFICE");
if (!binding) fail('no [[services]] binding "BACKOFFICE": the citizen worker hands everything else to it');
if (binding.service !== backOffice)
  fail(`the BACKOFFICE binding names "${binding.service}", but the back office of "${name}" is "${backOffice}"`);

const head = [
  `# Generated from ${resolve(src)} by scripts/backoffice-config.mjs: edit that file, not this one.`,
  `name = ${JSON.stringify(backOffice)}`,
  `main = ${JSON.stringify(resolve(root, "build/backoffice/worker/shim.mjs"))}`,
  "# Reached only through the citizen worker's service binding, never from the Internet.",
  "workers_dev = false",
  "preview_urls = false",
];
mkdirSync(dirname(resolve(out)), { recursive: true });
writeFileSync(out, [...head, ...kept].join("\n"));
if (secrets) copyFileSync(secrets, resolve(dirname(resolve(out)), ".dev.vars"));
