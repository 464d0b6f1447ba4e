//! Minifies src/openapi.json into OUT_DIR: the source stays readable (two-space indent, diffs
//! well), the WASM carries 30 KB less whitespace.

use std::{env, fs, path::Path};

fn main() {
    println!("cargo::rerun-if-changed=src/openapi.json");
    let source = fs::read_to_string("src/openapi.json").expect("src/openapi.json");
    let value: serde_json::Value =
        serde_json::from_str(&source).expect("src/openapi.json is not valid JSON");
    let out = Path::new(&env::var("OUT_DIR").expect("OUT_DIR")).join("openapi.min.json");
    fs::write(out, value.to_string()).expect("write openapi.min.json");
}
