//! `schema.sql` must describe exactly what the migrations build, data included.

use crate::helpers::project_dir;
use rusqlite::Connection;

fn dump(conn: &Connection) -> Vec<String> {
    let mut out: Vec<String> = conn
        .prepare("SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .unwrap();
    let normalise = |s: String| s.split_whitespace().collect::<Vec<_>>().join(" ");
    out = out.into_iter().map(normalise).collect();
    let rows: Vec<String> = conn
        .prepare("SELECT value || colour || face || labels FROM scale_levels ORDER BY value")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .unwrap();
    out.extend(rows);
    out
}

#[test]
fn schema_sql_equals_the_migrations_applied_in_order() {
    let dir = project_dir();
    let from_schema = Connection::open_in_memory().unwrap();
    from_schema
        .execute_batch(&std::fs::read_to_string(dir.join("schema.sql")).unwrap())
        .unwrap();

    let from_migrations = Connection::open_in_memory().unwrap();
    let mut migrations: Vec<_> = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    migrations.sort();
    assert!(!migrations.is_empty());
    for (i, m) in migrations.iter().enumerate() {
        let name = m.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            name.starts_with(&format!("{:04}_", i + 1)),
            "migrations are numbered 0001_, 0002_, ... without gaps: {name}"
        );
        from_migrations
            .execute_batch(&std::fs::read_to_string(m).unwrap())
            .unwrap();
    }
    assert_eq!(dump(&from_schema), dump(&from_migrations));
}
