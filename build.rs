//! Puts the OpenAPI document together into OUT_DIR: `src/openapi.json` (the API's info,
//! security and shared components, and the paths of features not yet in a folder of their own)
//! and each feature folder's `src/<feature>/openapi.json` (its paths and its own schemas),
//! minified: the sources stay readable (two-space indent, diff well), the WASM carries 30 KB
//! less whitespace. `scripts/openapi.mjs` puts the same document together for the static
//! assets; an API test checks the two agree.

use serde_json::{Map, Value};
use std::{env, fs, path::Path};

fn read(path: &Path) -> Value {
    println!("cargo::rerun-if-changed={}", path.display());
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

/// Adds `from`'s entries to `into`; a key both have is a mistake in one of the files.
fn add(into: &mut Map<String, Value>, from: &Value, what: &str, file: &Path) {
    for (k, v) in from.as_object().into_iter().flatten() {
        if into.insert(k.clone(), v.clone()).is_some() {
            panic!("{}: {what} {k} is already in the document", file.display());
        }
    }
}

fn main() {
    // A new feature folder changes `src`'s listing.
    println!("cargo::rerun-if-changed=src");
    let mut doc = read(Path::new("src/openapi.json"));
    let mut folders: Vec<_> = fs::read_dir("src")
        .expect("src")
        .filter_map(|e| e.ok().map(|e| e.path().join("openapi.json")))
        .filter(|p| p.is_file())
        .collect();
    folders.sort();
    for file in folders {
        let part = read(&file);
        // A path's operations may come from several features (`GET /admin/employees` is the
        // directory's, `POST` the organisation's): joined by operation.
        for (path, ops) in part["paths"].as_object().into_iter().flatten() {
            let paths = doc["paths"].as_object_mut().expect("paths");
            let into = paths
                .entry(path.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            add(
                into.as_object_mut().expect("path"),
                ops,
                &format!("{path}:"),
                &file,
            );
        }
        for (kind, entries) in part["components"].as_object().into_iter().flatten() {
            let components = doc["components"].as_object_mut().expect("components");
            let into = components
                .entry(kind.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            add(
                into.as_object_mut().expect("components"),
                entries,
                kind,
                &file,
            );
        }
    }
    let out = Path::new(&env::var("OUT_DIR").expect("OUT_DIR")).join("openapi.min.json");
    fs::write(out, doc.to_string()).expect("write openapi.min.json");
}
