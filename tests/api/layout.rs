//! The README's layout table is a newcomer's map of the code: it must name every source file
//! and folder, and only paths that exist. A file added, moved or removed without its row fails
//! here (natively, no worker started).

use crate::helpers::project_dir;

/// The backticked names in the README's "Layout" section.
fn layout_names() -> Vec<String> {
    let readme = std::fs::read_to_string(project_dir().join("README.md")).unwrap();
    let start = readme
        .find("\n## Layout\n")
        .expect("README has a Layout section");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    section
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn named(names: &[String], path: &str) -> bool {
    names.iter().any(|n| {
        let n = n.trim_end_matches('/');
        n == path.trim_end_matches('/') || path.starts_with(&format!("{n}/"))
    })
}

#[test]
fn the_readme_layout_names_every_source_file_and_folder() {
    let names = layout_names();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(project_dir().join("src")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        // The crate root only lists the modules; data files belong to the module that reads them.
        if name == "lib.rs" || name == "data" {
            continue;
        }
        let path = format!("src/{name}");
        if !named(&names, &path) {
            missing.push(path);
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "README.md's Layout table does not name: {missing:?}"
    );
}

#[test]
fn the_readme_layout_names_only_paths_that_exist() {
    let absent: Vec<String> = layout_names()
        .into_iter()
        .filter(|n| n.contains('/') && !n.contains(' '))
        .filter(|n| !project_dir().join(n.trim_end_matches('/')).exists())
        .collect();
    assert!(
        absent.is_empty(),
        "README.md's Layout table names paths that do not exist: {absent:?}"
    );
}
