//! `schema.sql` must describe exactly what the migrations build, data included.

use crate::helpers::project_dir;
use rusqlite::Connection;

/// The schema as structure, not text (`ALTER TABLE` stores its column as text glued onto the
/// original statement): every table's columns, keys and foreign keys, every index's columns,
/// and the seeded scale.
fn dump(conn: &Connection) -> Vec<String> {
    let strings = |sql: &str| -> Vec<String> {
        conn.prepare(sql)
            .and_then(|mut s| s.query_map([], |r| r.get::<_, String>(0))?.collect())
            .unwrap()
    };
    let mut out = Vec::new();
    for table in strings("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name") {
        out.push(format!("table {table}"));
        out.extend(strings(&format!(
            "SELECT cid || ' ' || name || ' ' || type || ' notnull=' || \"notnull\" || ' default=' || coalesce(dflt_value, '-') || ' pk=' || pk FROM pragma_table_info('{table}')"
        )));
        out.extend(strings(&format!(
            "SELECT 'fk ' || \"from\" || ' -> ' || \"table\" || '(' || coalesce(\"to\", '') || ') ' || on_delete FROM pragma_foreign_key_list('{table}') ORDER BY \"from\""
        )));
        let without_rowid: String = conn
            .query_row("SELECT CASE WHEN sql LIKE '%WITHOUT ROWID%' THEN 'without rowid' ELSE 'rowid' END FROM sqlite_master WHERE name = ?1", [&table], |r| r.get(0))
            .unwrap();
        out.push(without_rowid);
    }
    for index in strings("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name") {
        let columns = strings(&format!("SELECT coalesce(name, '?') FROM pragma_index_info('{index}') ORDER BY seqno"));
        let unique: i64 = conn.query_row(&format!("SELECT \"unique\" FROM pragma_index_list((SELECT tbl_name FROM sqlite_master WHERE name = '{index}')) WHERE name = '{index}'"), [], |r| r.get(0)).unwrap();
        out.push(format!("index {index} ({}) unique={unique}", columns.join(", ")));
    }
    out.extend(strings(
        "SELECT value || colour || face || labels FROM scale_levels ORDER BY value",
    ));
    // Triggers guard invariants (the append-only audit log): their text must match too.
    out.extend(strings(
        "SELECT name || ': ' || replace(replace(sql, char(10), ' '), '  ', ' ') FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
    ));
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

#[test]
fn the_audit_log_refuses_updates_and_deletes() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(&std::fs::read_to_string(project_dir().join("schema.sql")).unwrap())
        .unwrap();
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, object) VALUES (1, 'a', 'sign_in', 'account:1')",
        [],
    )
    .unwrap();
    let update = conn.execute("UPDATE audit_log SET actor = 'b'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    let n: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE actor = 'a'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}
