// Puts the OpenAPI document together, as build.rs does for the tests: src/openapi.json and
// every feature folder's src/<feature>/openapi.json (its paths and schemas), minified, to
// standard output. A key two files both hold stops it. Usage: node scripts/openapi.mjs
import { readFileSync, readdirSync, existsSync } from "node:fs";

const read = (file) => JSON.parse(readFileSync(file, "utf8"));
const add = (into, from, what, file) => {
  for (const [k, v] of Object.entries(from ?? {})) {
    if (k in into) throw new Error(`${file}: ${what} ${k} is already in the document`);
    into[k] = v;
  }
};

const doc = read("src/openapi.json");
const folders = readdirSync("src", { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(`src/${e.name}/openapi.json`))
  .map((e) => `src/${e.name}/openapi.json`)
  .sort();
for (const file of folders) {
  const part = read(file);
  // A path's operations may come from several features (GET /admin/employees is the
  // directory's, POST the organisation's): joined by operation.
  for (const [path, ops] of Object.entries(part.paths ?? {})) {
    doc.paths[path] ??= {};
    add(doc.paths[path], ops, `${path}:`, file);
  }
  for (const [kind, entries] of Object.entries(part.components ?? {})) {
    doc.components[kind] ??= {};
    add(doc.components[kind], entries, kind, file);
  }
}
process.stdout.write(JSON.stringify(doc));
