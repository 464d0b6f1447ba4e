//! HR lists of employees as CSV: a plan of what an import would change (with row-level
//! errors an HR clerk can find by line number), and the export in the same format, so that
//! export → edit in a spreadsheet → import round-trips.

use crate::org::{EmployeeId, Name, UnitId};

/// The columns, in export order. Imports find them by name (any order, any case);
/// `employee_id`, `unit`, `directions` and `active` may be left out.
pub const HEADER: [&str; 7] = [
    "employee_id",
    "name",
    "position",
    "unit_id",
    "unit",
    "directions",
    "active",
];
/// Rows in one file; larger lists go in several files (one D1 batch each).
pub const MAX_ROWS: usize = 1000;
const MAX_FIELD_CHARS: usize = 1000;
const BOM: &str = "\u{feff}";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub id: UnitId,
    /// From the top of the tree: `Міська рада / ЦНАП / Сектор 2`.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectionRef {
    pub id: u32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingEmployee {
    pub id: EmployeeId,
    pub name: String,
    pub position: String,
    pub unit: UnitId,
    pub active: bool,
    pub directions: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRow {
    pub line: usize,
    pub action: Action,
    pub employee_id: Option<EmployeeId>,
    pub name: Name,
    pub position: Name,
    pub unit: UnitId,
    pub active: bool,
    pub directions: Vec<u32>,
    /// For updates: which of name, position, unit, active, directions change.
    pub fields: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line of the file where the row starts (the header is line 1).
    pub line: usize,
    pub column: Option<&'static str>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub rows: Vec<PlannedRow>,
    pub errors: Vec<RowError>,
}

/// Problems with the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not UTF-8 text (save it as \"CSV UTF-8\")")]
    NotUtf8,
    #[error("the header has no `{0}` column")]
    MissingColumn(&'static str),
    #[error("the header names `{0}` twice")]
    DuplicateColumn(String),
    #[error("the file has more than {max} rows; split it")]
    TooManyRows { max: usize },
    #[error("the file is not valid CSV near line {line}")]
    Malformed { line: usize },
}

/// `,` or `;` (Excel in Ukrainian, Russian and Kazakh locales saves with `;`): whichever
/// the header line has more of, outside quotes.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// Spreadsheets run a cell starting with these as a formula (CSV injection): exports put a
/// `'` before them and imports take exactly that `'` off again.
fn is_formula_start(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.chars().next().is_some_and(is_formula_start) => rest,
        _ => cell,
    }
}

fn escape(cell: &str) -> String {
    if cell.chars().next().is_some_and(is_formula_start) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

fn normalise_path(p: &str) -> String {
    p.split('/')
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(" / ")
        .to_lowercase()
}

fn parse_active(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "" | "1" | "yes" | "true" | "так" | "да" | "иә" | "بله" => Some(true),
        "0" | "no" | "false" | "ні" | "нет" | "жоқ" | "خیر" => Some(false),
        _ => None,
    }
}

struct Columns {
    employee_id: Option<usize>,
    name: usize,
    position: usize,
    unit_id: Option<usize>,
    unit: Option<usize>,
    directions: Option<usize>,
    active: Option<usize>,
}

fn columns(header: &csv::StringRecord) -> Result<Columns, CsvError> {
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    for (i, n) in names.iter().enumerate() {
        if !n.is_empty() && names.iter().skip(i + 1).any(|m| m == n) {
            return Err(CsvError::DuplicateColumn(n.clone()));
        }
    }
    let find = |c: &str| names.iter().position(|n| n == c);
    let cols = Columns {
        employee_id: find("employee_id"),
        name: find("name").ok_or(CsvError::MissingColumn("name"))?,
        position: find("position").ok_or(CsvError::MissingColumn("position"))?,
        unit_id: find("unit_id"),
        unit: find("unit"),
        directions: find("directions"),
        active: find("active"),
    };
    if cols.unit_id.is_none() && cols.unit.is_none() {
        return Err(CsvError::MissingColumn("unit_id"));
    }
    Ok(cols)
}

/// Reads the file and compares it with what exists. `units` and `existing` must be only what
/// the caller may change: anything else is reported as not found.
pub fn plan(
    bytes: &[u8],
    units: &[UnitRef],
    directions: &[DirectionRef],
    existing: &[ExistingEmployee],
) -> Result<Plan, CsvError> {
    let text = std::str::from_utf8(bytes).map_err(|_| CsvError::NotUtf8)?;
    let text = text.strip_prefix(BOM).unwrap_or(text);
    if text.trim().is_empty() {
        return Err(CsvError::Empty);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut header = csv::StringRecord::new();
    match reader.read_record(&mut header) {
        Ok(true) => {}
        Ok(false) => return Err(CsvError::Empty),
        Err(_) => return Err(CsvError::Malformed { line: 1 }),
    }
    let cols = columns(&header)?;
    let mut out = Plan::default();
    let mut seen: Vec<EmployeeId> = Vec::new();
    let mut count = 0usize;
    let mut record = csv::StringRecord::new();
    let (mut counted, mut lines_before) = (0usize, 0usize);
    loop {
        // The csv crate's own line numbers lag behind terminators; count newlines up to the
        // record's first character instead (incrementally: files have up to 1,000 rows).
        let mut start = usize::try_from(reader.position().byte()).unwrap_or(0);
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        lines_before += text
            .as_bytes()
            .get(counted..start)
            .map_or(0, |s| s.iter().filter(|b| **b == b'\n').count());
        counted = counted.max(start);
        let line = lines_before + 1;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => return Err(CsvError::Malformed { line }),
        }
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        count += 1;
        if count > MAX_ROWS {
            return Err(CsvError::TooManyRows { max: MAX_ROWS });
        }
        match plan_row(&record, line, &cols, units, directions, existing, &mut seen) {
            Ok(row) => out.rows.push(row),
            Err(e) => out.errors.push(e),
        }
    }
    Ok(out)
}

fn plan_row(
    record: &csv::StringRecord,
    line: usize,
    cols: &Columns,
    units: &[UnitRef],
    directions: &[DirectionRef],
    existing: &[ExistingEmployee],
    seen: &mut Vec<EmployeeId>,
) -> Result<PlannedRow, RowError> {
    let err = |column: &'static str, message: String| RowError {
        line,
        column: Some(column),
        message,
    };
    let cell = |i: Option<usize>| -> &str {
        i.and_then(|i| record.get(i))
            .map(|c| unescape(c.trim()))
            .unwrap_or("")
    };
    for (i, field) in record.iter().enumerate() {
        if field.chars().count() > MAX_FIELD_CHARS {
            let column = HEADER.get(i).copied().unwrap_or("?");
            return Err(err(
                column,
                format!("is longer than {MAX_FIELD_CHARS} characters"),
            ));
        }
    }
    let name = Name::parse(cell(Some(cols.name))).map_err(|e| err("name", e.to_string()))?;
    let position =
        Name::parse(cell(Some(cols.position))).map_err(|e| err("position", e.to_string()))?;
    let by_id = match cell(cols.unit_id) {
        "" => None,
        s => Some(
            UnitId::parse_str(s)
                .and_then(|id| units.iter().find(|u| u.id == id))
                .ok_or_else(|| err("unit_id", format!("unit {s} not found")))?,
        ),
    };
    let by_path = match cell(cols.unit) {
        "" => None,
        s => {
            let wanted = normalise_path(s);
            let found: Vec<&UnitRef> = units
                .iter()
                .filter(|u| normalise_path(&u.path) == wanted)
                .collect();
            match found.as_slice() {
                [one] => Some(*one),
                [] if by_id.is_some() => None,
                [] => return Err(err("unit", format!("unit \"{s}\" not found"))),
                _ => {
                    return Err(err(
                        "unit",
                        format!("\"{s}\" names several units; give unit_id"),
                    ))
                }
            }
        }
    };
    let unit = match (by_id, by_path) {
        (Some(a), Some(b)) if a.id != b.id => {
            return Err(err(
                "unit",
                format!(
                    "unit_id {} and unit \"{}\" are different units",
                    a.id, b.path
                ),
            ))
        }
        (Some(a), _) | (None, Some(a)) => a.id,
        (None, None) => return Err(err("unit_id", String::from("is empty"))),
    };
    let active = parse_active(cell(cols.active))
        .ok_or_else(|| err("active", String::from("must be 1 or 0 (yes or no)")))?;
    let mut dirs: Vec<u32> = Vec::new();
    for part in cell(cols.directions).split('|') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let d = directions
            .iter()
            .find(|d| d.name.trim().to_lowercase() == part.to_lowercase())
            .ok_or_else(|| err("directions", format!("direction \"{part}\" not found")))?;
        if !dirs.contains(&d.id) {
            dirs.push(d.id);
        }
    }
    dirs.sort_unstable();
    let employee_id = match cell(cols.employee_id) {
        "" => None,
        s => {
            let id = EmployeeId::parse_str(s)
                .filter(|id| existing.iter().any(|e| e.id == *id))
                .ok_or_else(|| err("employee_id", format!("employee {s} not found")))?;
            if seen.contains(&id) {
                return Err(err(
                    "employee_id",
                    format!("employee {s} appears twice in the file"),
                ));
            }
            seen.push(id);
            Some(id)
        }
    };
    let (action, fields) = match employee_id.and_then(|id| existing.iter().find(|e| e.id == id)) {
        None => (Action::Create, Vec::new()),
        Some(e) => {
            let mut before = e.directions.clone();
            before.sort_unstable();
            let mut fields = Vec::new();
            if e.name != name.as_str() {
                fields.push("name");
            }
            if e.position != position.as_str() {
                fields.push("position");
            }
            if e.unit != unit {
                fields.push("unit");
            }
            if e.active != active {
                fields.push("active");
            }
            if before != dirs {
                fields.push("directions");
            }
            if fields.is_empty() {
                (Action::Unchanged, fields)
            } else {
                (Action::Update, fields)
            }
        }
    };
    Ok(PlannedRow {
        line,
        action,
        employee_id,
        name,
        position,
        unit,
        active,
        directions: dirs,
        fields,
    })
}

/// The employees as a CSV an import reads back unchanged: UTF-8 with a BOM (so Excel shows
/// Cyrillic and Persian), comma-separated, CRLF.
pub fn export(
    units: &[UnitRef],
    directions: &[DirectionRef],
    employees: &[ExistingEmployee],
) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut ok = writer.write_record(HEADER).is_ok();
    for e in employees {
        let path = units
            .iter()
            .find(|u| u.id == e.unit)
            .map_or("", |u| u.path.as_str());
        let dirs: Vec<&str> = e
            .directions
            .iter()
            .filter_map(|id| directions.iter().find(|d| d.id == *id))
            .map(|d| d.name.as_str())
            .collect();
        ok &= writer
            .write_record([
                e.id.to_string(),
                escape(&e.name),
                escape(&e.position),
                e.unit.to_string(),
                escape(path),
                escape(&dirs.join("|")),
                String::from(if e.active { "1" } else { "0" }),
            ])
            .is_ok();
    }
    let bytes = writer.into_inner().unwrap_or_default();
    if !ok {
        return String::from(BOM);
    }
    format!("{BOM}{}", String::from_utf8_lossy(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn units() -> Vec<UnitRef> {
        vec![
            UnitRef {
                id: UnitId::parse(1).unwrap(),
                path: "Міська рада".into(),
            },
            UnitRef {
                id: UnitId::parse(2).unwrap(),
                path: "Міська рада / ЦНАП".into(),
            },
        ]
    }

    fn directions() -> Vec<DirectionRef> {
        vec![
            DirectionRef {
                id: 7,
                name: "Соціальні послуги".into(),
            },
            DirectionRef {
                id: 8,
                name: "Реєстрація".into(),
            },
        ]
    }

    fn olena() -> ExistingEmployee {
        ExistingEmployee {
            id: EmployeeId::parse(10).unwrap(),
            name: "Олена Петренко".into(),
            position: "Адміністратор".into(),
            unit: UnitId::parse(2).unwrap(),
            active: true,
            directions: vec![7],
        }
    }

    fn run(text: &str) -> Result<Plan, CsvError> {
        plan(text.as_bytes(), &units(), &directions(), &[olena()])
    }

    #[test]
    fn a_semicolon_file_with_a_bom_is_read() {
        let p = run("\u{feff}name;position;unit_id\r\nІван Коваленко;Спеціаліст;2\r\n").unwrap();
        assert_eq!(p.errors, vec![]);
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].action, Action::Create);
        assert_eq!(p.rows[0].line, 2);
    }

    #[test]
    fn a_unit_is_found_by_its_path_when_the_id_is_empty() {
        let p = run("name,position,unit\nІван,Спеціаліст,міська рада/ЦНАП\n").unwrap();
        assert_eq!(p.rows[0].unit, UnitId::parse(2).unwrap());
    }

    #[test]
    fn an_unknown_unit_is_a_row_error_naming_its_line_and_column() {
        let p = run("name,position,unit_id\nА,Б,2\nВ,Г,99\n").unwrap();
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 3);
        assert_eq!(p.errors[0].column, Some("unit_id"));
    }

    #[test]
    fn an_existing_employee_is_unchanged_or_updated_field_by_field() {
        let same = run("employee_id,name,position,unit_id,directions\n10,Олена Петренко,Адміністратор,2,соціальні послуги\n").unwrap();
        assert_eq!(same.rows[0].action, Action::Unchanged);
        let moved = run("employee_id,name,position,unit_id,directions,active\n10,Олена Петренко,Начальник,1,Реєстрація,ні\n").unwrap();
        assert_eq!(moved.rows[0].action, Action::Update);
        assert_eq!(
            moved.rows[0].fields,
            vec!["position", "unit", "active", "directions"]
        );
    }

    #[test]
    fn the_same_employee_twice_is_refused_on_its_second_line() {
        let p = run("employee_id,name,position,unit_id\n10,А,Б,2\n10,А,Б,2\n").unwrap();
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.errors[0].line, 3);
        assert_eq!(p.errors[0].column, Some("employee_id"));
    }

    #[test]
    fn a_quoted_newline_keeps_line_numbers_right() {
        let p = run("name,position,unit_id\n\"Іван\nКоваленко\",Спеціаліст,2\nА,Б,99\n").unwrap();
        let lines: Vec<usize> = p.errors.iter().map(|e| e.line).collect();
        // A name may not hold a line break, so the first row is an error too.
        assert_eq!(lines, vec![2, 4]);
    }

    #[test]
    fn whole_file_problems_are_refused() {
        assert_eq!(run(""), Err(CsvError::Empty));
        assert_eq!(
            plan(b"\xff\xfe", &units(), &[], &[]),
            Err(CsvError::NotUtf8)
        );
        assert_eq!(
            run("name,unit_id\nА,2\n"),
            Err(CsvError::MissingColumn("position"))
        );
        assert!(matches!(
            run("name,name,position,unit_id\n"),
            Err(CsvError::DuplicateColumn(_))
        ));
        let big = format!("name,position,unit_id\n{}", "А,Б,2\n".repeat(MAX_ROWS + 1));
        assert_eq!(run(&big), Err(CsvError::TooManyRows { max: MAX_ROWS }));
    }

    #[test]
    fn bad_cells_are_row_errors() {
        let p = run(&format!(
            "name,position,unit_id,active,directions\n,Б,2,1,\nА,Б,2,maybe,\nА,Б,2,1,Космос\nА,{},2,1,\n",
            "я".repeat(201)
        ))
        .unwrap();
        let columns: Vec<_> = p.errors.iter().map(|e| e.column).collect();
        assert_eq!(
            columns,
            vec![
                Some("name"),
                Some("active"),
                Some("directions"),
                Some("position")
            ]
        );
        assert!(p.rows.is_empty());
    }

    #[test]
    fn exports_defuse_formulas_and_start_with_a_bom() {
        let mut e = olena();
        e.name = "=HYPERLINK(\"x\")".into();
        let out = export(&units(), &directions(), &[e]);
        assert!(out.starts_with('\u{feff}'));
        assert!(out.contains("'=HYPERLINK"));
        assert!(out.contains("\r\n"));
    }

    proptest! {
        #[test]
        fn an_export_imports_back_unchanged(
            name in "[=+@-]?[А-Яа-яA-Za-zآ-ی\" ,;'\n]{1,40}",
            position in "[А-Яа-я ;,\"]{1,30}",
            active in any::<bool>(),
        ) {
            let name = name.trim().to_owned();
            let position = position.trim().to_owned();
            prop_assume!(Name::parse(&name).map(|n| n.as_str() == name).unwrap_or(false));
            prop_assume!(Name::parse(&position).map(|n| n.as_str() == position).unwrap_or(false));
            let e = ExistingEmployee { name, position, active, ..olena() };
            let csv = export(&units(), &directions(), std::slice::from_ref(&e));
            let p = plan(csv.as_bytes(), &units(), &directions(), std::slice::from_ref(&e)).unwrap();
            prop_assert_eq!(p.errors, vec![]);
            prop_assert_eq!(p.rows.len(), 1);
            prop_assert_eq!(p.rows[0].action, Action::Unchanged);
        }
    }
}
