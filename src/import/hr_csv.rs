//! Employees from an HR list (CSV): a plan of what an import would change, checked row by
//! row before anything is written, and an export in the same format.
//!
//! Pure: the caller passes only the units, directions and employees the account may touch,
//! so a row that names anything else reads as "not found", exactly as if it did not exist.

use crate::org::{EmployeeId, Name, UnitId};
use csv_core::{ReadRecordResult, Reader, ReaderBuilder};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

/// Columns, in this order, in exports. Imports find them by header name (case-insensitive,
/// any order); `unit` and `directions` may be left out, other columns are ignored.
pub const HEADER: [&str; 7] = [
    "employee_id",
    "name",
    "position",
    "unit_id",
    "unit",
    "directions",
    "active",
];

/// Data rows an import may hold (the header and blank lines not counted).
pub const MAX_ROWS: usize = 1000;

/// Characters a cell may hold before it is refused.
pub const MAX_CELL_CHARS: usize = 1000;

const BOM: char = '\u{feff}';

/// A unit the caller may touch, with its path from the root of their view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub id: UnitId,
    /// Like "City Hall / Social services / Section 2".
    pub path: String,
}

/// A direction of service an employee may work in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectionRef {
    pub id: u32,
    pub name: String,
}

/// An employee as stored, within the caller's units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingEmployee {
    pub id: EmployeeId,
    pub name: String,
    pub position: String,
    pub unit: UnitId,
    pub active: bool,
    pub directions: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Unchanged,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
        }
    }
}

/// A row that passed every check, and what importing it would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedRow {
    /// The file's physical line where the row starts (the header is line 1).
    pub line: usize,
    pub action: Action,
    /// `None` for `Create`.
    pub employee_id: Option<EmployeeId>,
    pub name: Name,
    pub position: Name,
    pub unit: UnitId,
    pub active: bool,
    /// Sorted, without repeats. When the file has no `directions` column, an existing
    /// employee keeps theirs and a new one gets none.
    pub directions: Vec<u32>,
    /// For `Update`, the changed fields among "name", "position", "unit", "active",
    /// "directions"; empty otherwise.
    pub fields: Vec<&'static str>,
}

/// Why one row cannot be imported. A row with errors is left out of `Plan::rows`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: usize,
    /// The column as named in `HEADER`; `None` for the row as a whole.
    pub column: Option<&'static str>,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub rows: Vec<PlannedRow>,
    pub errors: Vec<RowError>,
}

impl Plan {
    pub fn count(&self, action: Action) -> usize {
        self.rows.iter().filter(|r| r.action == action).count()
    }
}

/// Problems with the file as a whole: no row is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not UTF-8 text (line {line}); save it as \"CSV UTF-8\"")]
    NotUtf8 { line: usize },
    #[error("the header has no `{0}` column")]
    MissingColumn(&'static str),
    #[error("the header names the `{0}` column twice")]
    DuplicateColumn(&'static str),
    #[error("the file has a header but no rows")]
    NoRows,
    #[error("a quote opened on line {line} is never closed")]
    UnclosedQuote { line: usize },
    #[error("the file has more than {max} rows; split it into several files")]
    TooManyRows { max: usize },
}

/// Reads the file and checks every row against what the caller may touch. Nothing is
/// written: the caller applies `rows` only when `errors` is empty.
pub fn plan(
    bytes: &[u8],
    units: &[UnitRef],
    directions: &[DirectionRef],
    existing: &[ExistingEmployee],
) -> Result<Plan, CsvError> {
    let text = decode(bytes)?;
    let delimiter = detect_delimiter(text);
    if let Some(line) = unclosed_quote(text.as_bytes(), delimiter) {
        return Err(CsvError::UnclosedQuote { line });
    }
    let mut records = Records::new(text.as_bytes(), delimiter).filter(|r| !r.is_blank());
    let header = records.next().ok_or(CsvError::Empty)?;
    let columns = Columns::find(&header.fields)?;
    let known = Known::new(units, directions, existing);
    let mut seen: HashMap<EmployeeId, usize> = HashMap::new();
    let mut plan = Plan::default();
    let mut count = 0;
    for record in records {
        count += 1;
        if count > MAX_ROWS {
            return Err(CsvError::TooManyRows { max: MAX_ROWS });
        }
        match known.row(&columns, &record, &mut seen) {
            Ok(row) => plan.rows.push(row),
            Err(errors) => plan.errors.extend(errors),
        }
    }
    if count == 0 {
        return Err(CsvError::NoRows);
    }
    Ok(plan)
}

/// The import format: UTF-8 with a BOM (so that Excel reads it as UTF-8), commas, CRLF,
/// RFC 4180 quoting, and cells that a spreadsheet would run as a formula prefixed with `'`.
pub fn export(
    units: &[UnitRef],
    directions: &[DirectionRef],
    employees: &[ExistingEmployee],
) -> String {
    let paths: HashMap<UnitId, &str> = units.iter().map(|u| (u.id, u.path.as_str())).collect();
    let names: HashMap<u32, &str> = directions.iter().map(|d| (d.id, d.name.as_str())).collect();
    let mut out = String::with_capacity(64 + employees.len() * 96);
    out.push(BOM);
    push_row(&mut out, &HEADER.map(Cow::Borrowed));
    for e in employees {
        let directions: Vec<&str> = e
            .directions
            .iter()
            .filter_map(|id| names.get(id).copied())
            .collect();
        push_row(
            &mut out,
            &[
                Cow::Owned(e.id.to_string()),
                Cow::Borrowed(e.name.as_str()),
                Cow::Borrowed(e.position.as_str()),
                Cow::Owned(e.unit.to_string()),
                Cow::Borrowed(paths.get(&e.unit).copied().unwrap_or_default()),
                Cow::Owned(directions.join("|")),
                Cow::Borrowed(if e.active { "1" } else { "0" }),
            ],
        );
    }
    out
}

fn push_row(out: &mut String, cells: &[Cow<'_, str>]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell = defuse(cell);
        if cell.contains([',', ';', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

/// Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
fn is_trigger(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// True when the cell is apostrophes followed by a trigger: `=1`, `'=1`, `''=1`.
fn looks_escaped(s: &str) -> bool {
    s.trim_start_matches('\'').starts_with(is_trigger)
}

/// Export side: one `'` before a cell that starts with a trigger. Cells that already start
/// with apostrophes and a trigger get one more, so that `undefuse` gives back exactly the
/// original and the two stay inverse for every string.
fn defuse(cell: &str) -> Cow<'_, str> {
    if looks_escaped(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Import side: strips the one `'` that `defuse` (or a careful clerk) put before a trigger.
fn undefuse(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if looks_escaped(rest) => rest,
        _ => cell,
    }
}

/// UTF-8, one leading BOM dropped.
fn decode(bytes: &[u8]) -> Result<&str, CsvError> {
    let text = std::str::from_utf8(bytes).map_err(|e| CsvError::NotUtf8 {
        line: 1 + line_breaks(bytes.get(..e.valid_up_to()).unwrap_or_default()),
    })?;
    let text = text.strip_prefix(BOM).unwrap_or(text);
    if text.trim().is_empty() {
        return Err(CsvError::Empty);
    }
    Ok(text)
}

/// Line breaks as `csv_core` and text editors see them: CRLF, LF, or a lone CR (old Mac
/// files, and some exports that mix them).
fn line_breaks(bytes: &[u8]) -> usize {
    let mut previous = 0u8;
    let mut count = 0;
    for &b in bytes {
        if b == b'\r' || (b == b'\n' && previous != b'\r') {
            count += 1;
        }
        previous = b;
    }
    count
}

/// `;` when the header line has more semicolons than commas outside quotes, else `,`.
/// Lines holding only delimiters and spaces (empty spreadsheet rows) are skipped.
fn detect_delimiter(text: &str) -> u8 {
    let (mut commas, mut semicolons) = (0usize, 0usize);
    let (mut quoted, mut started) = (false, false);
    for b in text.bytes() {
        match b {
            b'"' => {
                quoted = !quoted;
                started = true;
            }
            b'\n' | b'\r' if !quoted => {
                if started {
                    break;
                }
                (commas, semicolons) = (0, 0);
            }
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            b' ' | b'\t' => {}
            _ => started = true,
        }
    }
    if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// The line of a quote that opens a field and is never closed, read the way `csv_core`
/// reads it (a quote opens a field only at its start). Such a quote swallows the rest of the
/// file into one cell, so the file is refused as a whole.
fn unclosed_quote(text: &[u8], delimiter: u8) -> Option<usize> {
    #[derive(Clone, Copy)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut state, mut line, mut opened) = (State::FieldStart, 1, 1);
    let mut previous = 0u8;
    for &b in text {
        let ends_field = b == delimiter || b == b'\n' || b == b'\r';
        state = match state {
            State::FieldStart if b == b'"' => {
                opened = line;
                State::Quoted
            }
            State::FieldStart | State::Unquoted | State::QuoteInQuoted if ends_field => {
                State::FieldStart
            }
            State::FieldStart | State::Unquoted => State::Unquoted,
            State::Quoted if b == b'"' => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if b == b'"' => State::Quoted,
            State::QuoteInQuoted => State::Unquoted,
        };
        if b == b'\r' || (b == b'\n' && previous != b'\r') {
            line += 1;
        }
        previous = b;
    }
    matches!(state, State::Quoted).then_some(opened)
}

struct Record {
    /// Physical line of the record's first character.
    line: usize,
    fields: Vec<String>,
}

impl Record {
    fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }
}

/// RFC 4180 records from `csv_core`, each with the line it starts on.
struct Records<'a> {
    reader: Reader,
    input: &'a [u8],
    pos: usize,
    line: usize,
    counted_to: usize,
}

impl<'a> Records<'a> {
    fn new(input: &'a [u8], delimiter: u8) -> Records<'a> {
        Records {
            reader: ReaderBuilder::new().delimiter(delimiter).build(),
            input,
            pos: 0,
            line: 1,
            counted_to: 0,
        }
    }
}

impl Iterator for Records<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        // csv_core skips blank lines before a record: count them to find where it starts.
        let rest = self.input.get(self.pos..)?;
        let start = self.pos
            + rest
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        // The range starts and ends on a record's first byte: no CRLF is split.
        self.line += line_breaks(self.input.get(self.counted_to..start).unwrap_or_default());
        self.counted_to = start;

        let (mut out, mut ends) = (vec![0u8; 256], vec![0usize; 8]);
        let (mut nout, mut nends) = (0, 0);
        loop {
            let input = self.input.get(self.pos..).unwrap_or_default();
            let (result, read, written, ended) =
                self.reader
                    .read_record(input, out.get_mut(nout..)?, ends.get_mut(nends..)?);
            self.pos += read;
            nout += written;
            nends += ended;
            match result {
                // All input was given: the next call, with none, ends the record.
                ReadRecordResult::InputEmpty if !input.is_empty() => {}
                ReadRecordResult::InputEmpty | ReadRecordResult::End => return None,
                ReadRecordResult::OutputFull => out.resize(out.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
                ReadRecordResult::Record => break,
            }
        }
        let mut fields = Vec::with_capacity(nends);
        let mut from = 0;
        for &end in ends.get(..nends)? {
            // The input is UTF-8 and csv_core splits only at ASCII bytes: never lossy.
            fields.push(String::from_utf8_lossy(out.get(from..end)?).into_owned());
            from = end;
        }
        Some(Record {
            line: self.line,
            fields,
        })
    }
}

/// Where each column is in the file's records.
struct Columns {
    employee_id: usize,
    name: usize,
    position: usize,
    unit_id: usize,
    unit: Option<usize>,
    directions: Option<usize>,
    active: usize,
    /// Cells past the header's last named column must be empty.
    width: usize,
}

impl Columns {
    fn find(header: &[String]) -> Result<Columns, CsvError> {
        let mut found: [Option<usize>; 7] = [None; 7];
        let mut width = 0;
        for (i, cell) in header.iter().enumerate() {
            let key = cell
                .trim()
                .trim_matches(BOM)
                .to_ascii_lowercase()
                .replace([' ', '-'], "_");
            if !key.is_empty() {
                width = i + 1;
            }
            let Some(k) = HEADER.iter().position(|h| *h == key) else {
                continue;
            };
            if let Some(slot) = found.get_mut(k) {
                if slot.is_some() {
                    return Err(CsvError::DuplicateColumn(column_name(k)));
                }
                *slot = Some(i);
            }
        }
        let required = |k: usize| {
            found
                .get(k)
                .copied()
                .flatten()
                .ok_or(CsvError::MissingColumn(column_name(k)))
        };
        let optional = |k: usize| found.get(k).copied().flatten();
        Ok(Columns {
            employee_id: required(0)?,
            name: required(1)?,
            position: required(2)?,
            unit_id: required(3)?,
            unit: optional(4),
            directions: optional(5),
            active: required(6)?,
            width,
        })
    }
}

fn column_name(k: usize) -> &'static str {
    HEADER.get(k).copied().unwrap_or("?")
}

/// What the caller may touch, indexed for the rows.
struct Known<'a> {
    units: HashMap<UnitId, &'a UnitRef>,
    /// Normalised path → the unit, or `None` when several units share it.
    paths: HashMap<String, Option<UnitId>>,
    /// Lower-cased trimmed name → the direction, or `None` when several share it.
    directions: HashMap<String, Option<u32>>,
    employees: HashMap<EmployeeId, &'a ExistingEmployee>,
}

impl<'a> Known<'a> {
    fn new(
        units: &'a [UnitRef],
        directions: &'a [DirectionRef],
        existing: &'a [ExistingEmployee],
    ) -> Known<'a> {
        let mut paths: HashMap<String, Option<UnitId>> = HashMap::new();
        for u in units {
            paths
                .entry(normalize_path(&u.path))
                .and_modify(|slot| *slot = None)
                .or_insert(Some(u.id));
        }
        let mut names: HashMap<String, Option<u32>> = HashMap::new();
        for d in directions {
            names
                .entry(d.name.trim().to_lowercase())
                .and_modify(|slot| {
                    if *slot != Some(d.id) {
                        *slot = None
                    }
                })
                .or_insert(Some(d.id));
        }
        Known {
            units: units.iter().map(|u| (u.id, u)).collect(),
            paths,
            directions: names,
            employees: existing.iter().map(|e| (e.id, e)).collect(),
        }
    }

    fn row(
        &self,
        columns: &Columns,
        record: &Record,
        seen: &mut HashMap<EmployeeId, usize>,
    ) -> Result<PlannedRow, Vec<RowError>> {
        let mut row = RowCheck {
            record,
            errors: Vec::new(),
        };
        if record
            .fields
            .iter()
            .skip(columns.width)
            .any(|f| !f.trim().is_empty())
        {
            row.error(
                None,
                format!(
                    "the row has more cells than the header has columns ({})",
                    columns.width
                ),
            );
        }

        let existing = self.employee(&mut row, columns.employee_id, seen);
        let name = row.name(columns.name, "name");
        let position = row.name(columns.position, "position");
        let unit = self.unit(&mut row, columns.unit_id, columns.unit);
        let active = row.cell(columns.active, "active").and_then(|s| {
            let active = parse_active(s);
            if active.is_none() {
                row.error(
                    Some("active"),
                    "must be 1 or 0 (also yes/no, так/ні, да/нет, иә/жоқ)".to_owned(),
                );
            }
            active
        });
        let directions = match columns.directions {
            Some(k) => self.directions(&mut row, k),
            None => Some(match existing {
                Some(Some(e)) => sorted(&e.directions),
                _ => Vec::new(),
            }),
        };

        let (
            Some(existing),
            Some(name),
            Some(position),
            Some(unit),
            Some(active),
            Some(directions),
        ) = (existing, name, position, unit, active, directions)
        else {
            return Err(row.errors);
        };
        if !row.errors.is_empty() {
            return Err(row.errors);
        }
        let (action, employee_id, fields) = match existing {
            None => (Action::Create, None, Vec::new()),
            Some(e) => {
                let mut fields = Vec::new();
                if name.as_str() != e.name {
                    fields.push("name");
                }
                if position.as_str() != e.position {
                    fields.push("position");
                }
                if unit != e.unit {
                    fields.push("unit");
                }
                if active != e.active {
                    fields.push("active");
                }
                if directions != sorted(&e.directions) {
                    fields.push("directions");
                }
                let action = if fields.is_empty() {
                    Action::Unchanged
                } else {
                    Action::Update
                };
                (action, Some(e.id), fields)
            }
        };
        Ok(PlannedRow {
            line: record.line,
            action,
            employee_id,
            name,
            position,
            unit,
            active,
            directions,
            fields,
        })
    }

    /// `Some(None)`: a new employee; `Some(Some(e))`: an existing one; `None`: an error.
    fn employee(
        &self,
        row: &mut RowCheck<'_>,
        k: usize,
        seen: &mut HashMap<EmployeeId, usize>,
    ) -> Option<Option<&'a ExistingEmployee>> {
        const COLUMN: Option<&str> = Some("employee_id");
        let cell = row.cell(k, "employee_id")?;
        if cell.is_empty() {
            return Some(None);
        }
        let Some(id) = EmployeeId::parse_str(cell) else {
            row.error(
                COLUMN,
                "must be empty (a new employee) or the number of an employee".to_owned(),
            );
            return None;
        };
        if let Some(first) = seen.get(&id) {
            row.error(COLUMN, format!("employee {id} is already on line {first}"));
            return None;
        }
        seen.insert(id, row.record.line);
        match self.employees.get(&id) {
            Some(e) => Some(Some(*e)),
            None => {
                row.error(COLUMN, format!("employee {id} not found"));
                None
            }
        }
    }

    fn unit(&self, row: &mut RowCheck<'_>, id_k: usize, path_k: Option<usize>) -> Option<UnitId> {
        let id_cell = row.cell(id_k, "unit_id")?;
        let path = match path_k {
            Some(k) => normalize_path(row.cell(k, "unit")?),
            None => String::new(),
        };
        if !id_cell.is_empty() {
            let Some(unit) = UnitId::parse_str(id_cell).and_then(|id| self.units.get(&id)) else {
                row.error(Some("unit_id"), "unit not found".to_owned());
                return None;
            };
            if !path.is_empty() && path != normalize_path(&unit.path) {
                row.error(
                    Some("unit"),
                    format!(
                        "does not match unit_id {}, which is \"{}\"",
                        unit.id, unit.path
                    ),
                );
                return None;
            }
            return Some(unit.id);
        }
        if path.is_empty() {
            row.error(Some("unit_id"), "give unit_id or unit".to_owned());
            return None;
        }
        match self.paths.get(&path) {
            Some(Some(id)) => Some(*id),
            Some(None) => {
                row.error(
                    Some("unit"),
                    "several units have this name; give unit_id".to_owned(),
                );
                None
            }
            None => {
                row.error(Some("unit"), "unit not found".to_owned());
                None
            }
        }
    }

    fn directions(&self, row: &mut RowCheck<'_>, k: usize) -> Option<Vec<u32>> {
        let cell = row.cell(k, "directions")?;
        let mut ids = BTreeSet::new();
        let (mut unknown, mut ambiguous) = (Vec::new(), Vec::new());
        for name in cell.split('|').map(str::trim).filter(|n| !n.is_empty()) {
            match self.directions.get(&name.to_lowercase()) {
                Some(Some(id)) => {
                    ids.insert(*id);
                }
                Some(None) => ambiguous.push(format!("\"{name}\"")),
                None => unknown.push(format!("\"{name}\"")),
            }
        }
        if !unknown.is_empty() {
            row.error(
                Some("directions"),
                format!("unknown direction: {}", unknown.join(", ")),
            );
        }
        if !ambiguous.is_empty() {
            row.error(
                Some("directions"),
                format!(
                    "several directions have this name: {}",
                    ambiguous.join(", ")
                ),
            );
        }
        (unknown.is_empty() && ambiguous.is_empty()).then(|| ids.into_iter().collect())
    }
}

/// One row's cells and the errors found in them so far.
struct RowCheck<'r> {
    record: &'r Record,
    errors: Vec<RowError>,
}

impl<'r> RowCheck<'r> {
    fn error(&mut self, column: Option<&'static str>, message: String) {
        self.errors.push(RowError {
            line: self.record.line,
            column,
            message,
        });
    }

    /// The cell, without a formula-guard apostrophe and trimmed; `None` (with an error)
    /// when it is too long. A row shorter than the header reads as empty cells.
    fn cell(&mut self, k: usize, column: &'static str) -> Option<&'r str> {
        let raw = self.record.fields.get(k).map_or("", String::as_str);
        if raw.chars().count() > MAX_CELL_CHARS {
            self.error(
                Some(column),
                format!("must be at most {MAX_CELL_CHARS} characters"),
            );
            return None;
        }
        Some(undefuse(raw).trim())
    }

    fn name(&mut self, k: usize, column: &'static str) -> Option<Name> {
        let cell = self.cell(k, column)?;
        Name::parse(cell)
            .map_err(|e| self.error(Some(column), e.to_string()))
            .ok()
    }
}

fn parse_active(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "" | "1" | "yes" | "true" | "так" | "да" | "иә" => Some(true),
        "0" | "no" | "false" | "ні" | "нет" | "жоқ" => Some(false),
        _ => None,
    }
}

/// "City Hall/ Social services /Section 2" → "City Hall / Social services / Section 2".
fn normalize_path(path: &str) -> String {
    if path.trim().is_empty() {
        return String::new();
    }
    path.split('/')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" / ")
}

fn sorted(ids: &[u32]) -> Vec<u32> {
    ids.iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unit(id: u32, path: &str) -> UnitRef {
        UnitRef {
            id: UnitId::parse(i64::from(id)).unwrap(),
            path: path.to_owned(),
        }
    }

    fn units() -> Vec<UnitRef> {
        vec![
            unit(1, "Міська рада"),
            unit(2, "Міська рада / Соціальний захист"),
            unit(3, "Міська рада / Соціальний захист / Відділ 2"),
            unit(4, "Міська рада / ЦНАП"),
        ]
    }

    fn directions() -> Vec<DirectionRef> {
        ["Довідки", "Субсидії", "Пенсії"]
            .iter()
            .zip(1..)
            .map(|(name, id)| DirectionRef {
                id,
                name: (*name).to_owned(),
            })
            .collect()
    }

    fn employee(id: u32, name: &str, unit: u32, directions: &[u32]) -> ExistingEmployee {
        ExistingEmployee {
            id: EmployeeId::parse(i64::from(id)).unwrap(),
            name: name.to_owned(),
            position: "Спеціаліст".to_owned(),
            unit: UnitId::parse(i64::from(unit)).unwrap(),
            active: true,
            directions: directions.to_vec(),
        }
    }

    fn existing() -> Vec<ExistingEmployee> {
        vec![
            employee(10, "Олена Коваль", 2, &[1, 2]),
            employee(11, "Петро Шевченко", 3, &[]),
        ]
    }

    fn run(csv: &str) -> Result<Plan, CsvError> {
        plan(csv.as_bytes(), &units(), &directions(), &existing())
    }

    fn ok(csv: &str) -> Plan {
        run(csv).unwrap()
    }

    const H: &str = "employee_id,name,position,unit_id,unit,directions,active\n";

    fn with_header(rows: &str) -> String {
        format!("{H}{rows}")
    }

    fn errors(plan: &Plan) -> Vec<(usize, Option<&'static str>, &str)> {
        plan.errors
            .iter()
            .map(|e| (e.line, e.column, e.message.as_str()))
            .collect()
    }

    fn uid(n: u32) -> UnitId {
        UnitId::parse(i64::from(n)).unwrap()
    }

    fn eid(n: u32) -> EmployeeId {
        EmployeeId::parse(i64::from(n)).unwrap()
    }

    #[test]
    fn semicolon_file_with_bom_is_read() {
        let csv = "\u{feff}employee_id;name;position;unit_id;unit;directions;active\r\n\
                   10;Олена Коваль;Спеціаліст;2;;Довідки|Субсидії;так\r\n\
                   ;Ірина Бондар;Головний спеціаліст, юрист;4;;;1\r\n";
        let plan = ok(csv);
        assert_eq!(errors(&plan), vec![]);
        assert_eq!(plan.rows.len(), 2);
        assert_eq!(plan.rows[0].action, Action::Unchanged);
        assert_eq!(plan.rows[0].employee_id, Some(eid(10)));
        assert_eq!(plan.rows[1].action, Action::Create);
        assert_eq!(plan.rows[1].line, 3);
        assert_eq!(plan.rows[1].position.as_str(), "Головний спеціаліст, юрист");
    }

    #[test]
    fn comma_file_with_quotes_and_mixed_line_ends_is_read() {
        let plan = ok(&with_header(
            "11,Петро Шевченко,\"Спеціаліст \"\"А\"\"; каса\",3,,,1\r\n,Нова,Посада,1,,,\n",
        ));
        assert_eq!(errors(&plan), vec![]);
        assert_eq!(plan.rows[0].position.as_str(), "Спеціаліст \"А\"; каса");
        assert_eq!(plan.rows[0].fields, vec!["position"]);
        assert_eq!(plan.rows[1].line, 3);
    }

    #[test]
    fn more_semicolons_than_commas_in_the_header_picks_semicolons() {
        assert_eq!(detect_delimiter("\"a,b,c,d\";x;y\n1,2,3,4,5,6,7,8"), b';');
        assert_eq!(detect_delimiter("a,b;c,d\n;;;;;;"), b',');
        assert_eq!(detect_delimiter(";;;\n\na;b\n"), b';');
        assert_eq!(detect_delimiter("one_column\n"), b',');
    }

    #[test]
    fn unknown_unit_is_a_row_error() {
        let plan = ok(&with_header(",Нова,Посада,99,,,\n,Нова,Посада,abc,,,\n"));
        assert!(plan.rows.is_empty());
        assert_eq!(
            errors(&plan),
            vec![
                (2, Some("unit_id"), "unit not found"),
                (3, Some("unit_id"), "unit not found")
            ]
        );
    }

    #[test]
    fn a_unit_outside_the_callers_units_reads_exactly_as_an_unknown_one() {
        // Unit 4 exists, but this caller only sees units 2 and 3.
        let mine = &units()[1..3];
        let plan = plan(
            with_header(",Нова,Посада,4,,,\n,Нова,Посада,,Міська рада / ЦНАП,,\n").as_bytes(),
            mine,
            &directions(),
            &existing(),
        )
        .unwrap();
        assert_eq!(
            errors(&plan),
            vec![
                (2, Some("unit_id"), "unit not found"),
                (3, Some("unit"), "unit not found")
            ]
        );
    }

    #[test]
    fn unknown_employee_id_is_a_row_error() {
        let plan = ok(&with_header(
            "12,Хтось,Посада,2,,,\n0,Хтось,Посада,2,,,\n-5,Хтось,Посада,2,,,\n",
        ));
        assert_eq!(
            errors(&plan),
            vec![
                (2, Some("employee_id"), "employee 12 not found"),
                (
                    3,
                    Some("employee_id"),
                    "must be empty (a new employee) or the number of an employee"
                ),
                (
                    4,
                    Some("employee_id"),
                    "must be empty (a new employee) or the number of an employee"
                ),
            ]
        );
    }

    #[test]
    fn duplicate_employee_id_is_refused_on_its_second_line() {
        let plan = ok(&with_header(
            "10,Олена Коваль,Спеціаліст,2,,,\n11,Петро Шевченко,Спеціаліст,3,,,\n10,Олена,Спеціаліст,2,,,\n",
        ));
        assert_eq!(plan.rows.len(), 2);
        assert_eq!(
            errors(&plan),
            vec![(4, Some("employee_id"), "employee 10 is already on line 2")]
        );
    }

    #[test]
    fn quoted_newline_keeps_line_numbers_right() {
        let plan = ok(&with_header(
            ",\"Олена\nКоваль\",Посада,2,,,\n,Ірина,\"Головний\r\nспеціаліст\",2,,,\n,Петро,Посада,99,,,\n,Іван,Посада,2,,,\n",
        ));
        assert_eq!(
            errors(&plan),
            vec![
                (2, Some("name"), "must not contain control characters"),
                (4, Some("position"), "must not contain control characters"),
                (6, Some("unit_id"), "unit not found"),
            ]
        );
        assert_eq!(plan.rows.len(), 1);
        assert_eq!(plan.rows[0].line, 7);
    }

    #[test]
    fn blank_lines_and_empty_spreadsheet_rows_are_skipped_but_counted() {
        let csv = format!("\n\r\n{H}\n,А,Б,2,,,\r\n\r\n,,\n,,,,,,\n , , \n,В,Г,99,,,\n\n");
        let plan = ok(&csv);
        assert_eq!(plan.rows.len(), 1);
        assert_eq!(plan.rows[0].line, 5);
        assert_eq!(errors(&plan), vec![(10, Some("unit_id"), "unit not found")]);
    }

    #[test]
    fn old_mac_line_ends_are_read() {
        let plan = ok(&with_header(",А,Б,2,,,\r,В,Г,99,,,\r").replace('\n', "\r"));
        assert_eq!(plan.rows.len(), 1);
        assert_eq!(errors(&plan), vec![(3, Some("unit_id"), "unit not found")]);
    }

    #[test]
    fn a_lone_cr_in_an_lf_file_counts_as_a_line_break_as_it_ends_a_record() {
        // Found by fuzzing: the record after "active\r" was reported on line 1.
        let csv = "employee_id,name,position,unit_id,active\r,А,Б,99,1\r\n,В,Г,2,1\n\r,Д,Е,99,1\n";
        let plan = ok(csv);
        assert_eq!(
            errors(&plan),
            vec![
                (2, Some("unit_id"), "unit not found"),
                (5, Some("unit_id"), "unit not found")
            ]
        );
        assert_eq!(plan.rows[0].line, 3);
        assert_eq!(line_breaks(b"a\r\nb\rc\nd\n\re"), 5);
    }

    #[test]
    fn changed_fields_are_listed_for_an_update() {
        let plan = ok(&with_header(
            "10,Олена Коваль-Бондар,Начальник відділу,3,,Пенсії,ні\n11,Петро Шевченко,Спеціаліст,3,,,1\n",
        ));
        assert_eq!(errors(&plan), vec![]);
        let row = &plan.rows[0];
        assert_eq!(row.action, Action::Update);
        assert_eq!(
            row.fields,
            vec!["name", "position", "unit", "active", "directions"]
        );
        assert_eq!(row.unit, uid(3));
        assert!(!row.active);
        assert_eq!(row.directions, vec![3]);
        assert_eq!(plan.rows[1].action, Action::Unchanged);
        assert!(plan.rows[1].fields.is_empty());
        assert_eq!(plan.count(Action::Update), 1);
        assert_eq!(plan.count(Action::Unchanged), 1);
    }

    #[test]
    fn directions_compare_without_order_case_or_repeats() {
        let plan = ok(&with_header(
            "10,Олена Коваль,Спеціаліст,2,, субсидії | ДОВІДКИ |Довідки|,1\n",
        ));
        assert_eq!(errors(&plan), vec![]);
        assert_eq!(plan.rows[0].action, Action::Unchanged);
        assert_eq!(plan.rows[0].directions, vec![1, 2]);
    }

    #[test]
    fn unknown_direction_is_a_row_error() {
        let plan = ok(&with_header(",Нова,Посада,2,,Довідки|Паспорти|Візи,1\n"));
        assert_eq!(
            errors(&plan),
            vec![(
                2,
                Some("directions"),
                "unknown direction: \"Паспорти\", \"Візи\""
            )]
        );
    }

    #[test]
    fn without_a_directions_column_an_employee_keeps_theirs() {
        let plan = ok("employee_id,name,position,unit_id,active\n\
                       10,Олена Коваль,Спеціаліст,2,1\n,Нова,Посада,2,1\n");
        assert_eq!(errors(&plan), vec![]);
        assert_eq!(plan.rows[0].action, Action::Unchanged);
        assert_eq!(plan.rows[0].directions, vec![1, 2]);
        assert_eq!(plan.rows[1].directions, Vec::<u32>::new());
    }

    #[test]
    fn a_unit_path_alone_names_the_unit_with_spaces_around_slashes_normalised() {
        let plan = ok(&with_header(
            ",Нова,Посада,,  Міська рада/Соціальний захист  /  Відділ 2 ,,\n",
        ));
        assert_eq!(errors(&plan), vec![]);
        assert_eq!(plan.rows[0].unit, uid(3));
    }

    #[test]
    fn a_unit_path_is_matched_exactly_otherwise() {
        let plan = ok(&with_header(",Нова,Посада,,міська рада / цнап,,\n"));
        assert_eq!(errors(&plan), vec![(2, Some("unit"), "unit not found")]);
    }

    #[test]
    fn unit_id_and_path_that_disagree_are_refused() {
        let plan = ok(&with_header(
            ",Нова,Посада,2,Міська рада / ЦНАП,,\n,Нова,Посада,4,Міська рада/ЦНАП,,\n",
        ));
        assert_eq!(
            errors(&plan),
            vec![(
                2,
                Some("unit"),
                "does not match unit_id 2, which is \"Міська рада / Соціальний захист\""
            )]
        );
        assert_eq!(plan.rows[0].unit, uid(4));
    }

    #[test]
    fn a_path_shared_by_two_units_needs_the_unit_id() {
        let units = vec![unit(1, "ЦНАП / Відділ 1"), unit(2, "ЦНАП / Відділ 1")];
        let csv =
            with_header(",Нова,Посада,,ЦНАП / Відділ 1,,\n,Нова,Посада,2,ЦНАП / Відділ 1,,\n");
        let plan = plan(csv.as_bytes(), &units, &[], &[]).unwrap();
        assert_eq!(
            errors(&plan),
            vec![(
                2,
                Some("unit"),
                "several units have this name; give unit_id"
            )]
        );
        assert_eq!(plan.rows[0].unit, uid(2));
    }

    #[test]
    fn a_row_without_unit_id_or_unit_is_refused() {
        let plan = ok(&with_header(",Нова,Посада,,,,\n"));
        assert_eq!(
            errors(&plan),
            vec![(2, Some("unit_id"), "give unit_id or unit")]
        );
    }

    #[test]
    fn active_is_read_in_four_languages_and_empty_means_active() {
        let yes = ["", "1", "yes", "TRUE", "Так", "да", "иә", " ТАК "];
        let no = ["0", "no", "False", "ні", "НЕТ", "жоқ"];
        for (word, want) in yes
            .iter()
            .map(|w| (w, true))
            .chain(no.iter().map(|w| (w, false)))
        {
            let plan = ok(&with_header(&format!(",Нова,Посада,2,,,{word}\n")));
            assert_eq!(errors(&plan), vec![], "{word}");
            assert_eq!(plan.rows[0].active, want, "{word}");
        }
        let plan = ok(&with_header(",Нова,Посада,2,,,maybe\n"));
        assert_eq!(plan.errors[0].column, Some("active"));
    }

    #[test]
    fn names_are_checked_and_every_error_of_a_row_names_its_column() {
        let long = "я".repeat(201);
        let plan = ok(&with_header(&format!(" ,  ,{long},99,,Візи,може\n")));
        assert!(plan.rows.is_empty());
        assert_eq!(
            errors(&plan),
            vec![
                (2, Some("name"), "must not be empty"),
                (2, Some("position"), "must be at most 200 characters"),
                (2, Some("unit_id"), "unit not found"),
                (
                    2,
                    Some("active"),
                    "must be 1 or 0 (also yes/no, так/ні, да/нет, иә/жоқ)"
                ),
                (2, Some("directions"), "unknown direction: \"Візи\""),
            ]
        );
    }

    #[test]
    fn a_cell_over_a_thousand_characters_is_refused() {
        let plan = ok(&with_header(&format!(
            ",Нова,Посада,2,,{},1\n,Нова,Посада,2,{},,1\n",
            "ї".repeat(1001),
            "/".repeat(1000),
        )));
        assert_eq!(
            errors(&plan),
            vec![
                (2, Some("directions"), "must be at most 1000 characters"),
                (
                    3,
                    Some("unit"),
                    "does not match unit_id 2, which is \"Міська рада / Соціальний захист\""
                ),
            ]
        );
    }

    #[test]
    fn a_thousand_rows_are_read_and_one_more_is_refused() {
        let rows = ",Нова,Посада,2,,,1\n".repeat(MAX_ROWS);
        assert_eq!(ok(&with_header(&rows)).rows.len(), MAX_ROWS);
        let rows = format!("{rows}\n\n,Нова,Посада,2,,,1\n");
        assert_eq!(
            run(&with_header(&rows)),
            Err(CsvError::TooManyRows { max: MAX_ROWS })
        );
    }

    #[test]
    fn an_empty_file_is_refused() {
        for empty in ["", "\u{feff}", " \r\n\n\t", "\u{feff}\n\n"] {
            assert_eq!(run(empty), Err(CsvError::Empty), "{empty:?}");
        }
        assert_eq!(run(",,\n,,,,\n \n"), Err(CsvError::Empty));
    }

    #[test]
    fn a_file_with_only_the_header_has_no_rows() {
        assert_eq!(run(H), Err(CsvError::NoRows));
        assert_eq!(
            run(&format!("\u{feff}{H}\r\n,,,,\r\n")),
            Err(CsvError::NoRows)
        );
    }

    #[test]
    fn invalid_utf8_is_refused_with_its_line() {
        let mut bytes = H.as_bytes().to_vec();
        bytes.extend_from_slice(b",\xce\xeb\xe5\xed\xe0,x,2,,,1\n"); // "Олена" in windows-1251
        assert_eq!(
            plan(&bytes, &units(), &directions(), &existing()),
            Err(CsvError::NotUtf8 { line: 2 })
        );
        // UTF-16 with its BOM, as Excel's "Unicode text" saves.
        assert_eq!(
            plan(b"\xff\xfee\x00", &[], &[], &[]),
            Err(CsvError::NotUtf8 { line: 1 })
        );
    }

    #[test]
    fn a_missing_header_column_is_named() {
        assert_eq!(
            run("employee_id,name,unit_id,active\n,А,2,1\n"),
            Err(CsvError::MissingColumn("position"))
        );
        // A file without a header: its first row is read as one.
        assert_eq!(
            run("10,Олена Коваль,Спеціаліст,2,,,1\n"),
            Err(CsvError::MissingColumn("employee_id"))
        );
        assert_eq!(
            run("employee_id;name;position;unit_id;unit;directions\n"),
            Err(CsvError::MissingColumn("active"))
        );
    }

    #[test]
    fn a_column_named_twice_is_refused() {
        assert_eq!(
            run("employee_id,name,position,unit_id,active,Name\n,А,Б,2,1,В\n"),
            Err(CsvError::DuplicateColumn("name"))
        );
    }

    #[test]
    fn header_names_are_found_in_any_order_and_case_and_other_columns_are_ignored() {
        let plan = ok("Active;Unit ID;Телефон;NAME;Position;Employee-ID\n\
                       ні;3;+380 67 000 00 00;Петро Шевченко;Спеціаліст;11\n");
        assert_eq!(errors(&plan), vec![]);
        assert_eq!(plan.rows[0].fields, vec!["active"]);
    }

    #[test]
    fn an_unclosed_quote_is_refused_with_the_line_it_opens_on() {
        let csv =
            with_header(",Нова,Посада,2,,,1\n,\"Олена Коваль,Посада,2,,,1\n,Ірина,Посада,2,,,1\n");
        assert_eq!(run(&csv), Err(CsvError::UnclosedQuote { line: 3 }));
        assert_eq!(
            run("\"employee_id,name\n"),
            Err(CsvError::UnclosedQuote { line: 1 })
        );
    }

    #[test]
    fn stray_quotes_inside_a_cell_are_kept_as_excel_keeps_them() {
        let plan = ok(&with_header(
            ",Олена \"Оля\" Коваль,\"Спеціаліст\" I категорії,2,,,1\n,\"А\"\"\",Б,2,,,\"1\"\n",
        ));
        assert_eq!(errors(&plan), vec![]);
        assert_eq!(plan.rows[0].name.as_str(), "Олена \"Оля\" Коваль");
        assert_eq!(plan.rows[0].position.as_str(), "Спеціаліст I категорії");
        assert_eq!(plan.rows[1].name.as_str(), "А\"");
    }

    #[test]
    fn a_trailing_delimiter_is_tolerated_and_short_rows_read_as_empty_cells() {
        let plan = ok("employee_id;name;position;unit_id;active;\n;А;Б;2;;\n;В;Г;2\n");
        assert_eq!(errors(&plan), vec![]);
        assert_eq!(plan.rows.len(), 2);
        assert!(plan.rows[1].active);
    }

    #[test]
    fn cells_past_the_header_must_be_empty() {
        let plan = ok(&with_header(",А,Б,2,,,1,, \n,А,Б,2,,,1,,зайве\n"));
        assert_eq!(
            errors(&plan),
            vec![(
                3,
                None,
                "the row has more cells than the header has columns (7)"
            )]
        );
    }

    #[test]
    fn one_guard_apostrophe_before_a_formula_character_is_stripped() {
        let plan = ok(&with_header(
            ",'=Олена,'-Посада,2,,,1\n,''=Ірина,'Посада,2,,,1\n,' =x,'@,2,,,1\n,А,Б,2,,,'1\n",
        ));
        assert_eq!(plan.rows[0].name.as_str(), "=Олена");
        assert_eq!(plan.rows[0].position.as_str(), "-Посада");
        assert_eq!(plan.rows[1].name.as_str(), "'=Ірина");
        assert_eq!(plan.rows[1].position.as_str(), "'Посада");
        assert_eq!(plan.rows[2].name.as_str(), "' =x");
        assert_eq!(plan.rows[2].position.as_str(), "@");
        assert_eq!(
            errors(&plan),
            vec![(
                5,
                Some("active"),
                "must be 1 or 0 (also yes/no, так/ні, да/нет, иә/жоқ)"
            )]
        );
    }

    #[test]
    fn export_starts_with_a_bom_and_quotes_as_rfc_4180_says() {
        let mut e = existing();
        e[0].name = "Коваль, Олена \"Оля\"".to_owned();
        e[1].position = "=HYPERLINK(\"http://x\")".to_owned();
        e[1].active = false;
        let out = export(&units(), &directions(), &e);
        assert_eq!(
            out,
            "\u{feff}employee_id,name,position,unit_id,unit,directions,active\r\n\
             10,\"Коваль, Олена \"\"Оля\"\"\",Спеціаліст,2,Міська рада / Соціальний захист,Довідки|Субсидії,1\r\n\
             11,Петро Шевченко,\"'=HYPERLINK(\"\"http://x\"\")\",3,Міська рада / Соціальний захист / Відділ 2,,0\r\n"
        );
    }

    #[test]
    fn defuse_and_undefuse_are_inverse() {
        for s in [
            "", "'", "=", "'=", "''=", "-1", "x=1", "'x", "\t=", "'\r", "@@",
        ] {
            assert_eq!(undefuse(&defuse(s)), s, "{s:?}");
            assert!(!defuse(s).starts_with(is_trigger), "{s:?}");
        }
    }

    #[test]
    fn an_export_reads_back_unchanged() {
        let out = export(&units(), &directions(), &existing());
        let plan = plan(out.as_bytes(), &units(), &directions(), &existing()).unwrap();
        assert_eq!(errors(&plan), vec![]);
        assert_eq!(plan.count(Action::Unchanged), 2);
    }

    fn tricky_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => prop::sample::select(vec![
                '=', '+', '-', '@', '\'', '"', ',', ';', '|', '/', ' ', '\u{feff}', 'ї', 'Є',
                'ґ', 'Ё', 'ы', 'қ', 'ә', 'ی', 'ک', 'پ', 'ا', '۱', '\u{200c}',
            ]),
            4 => proptest::char::range('а', 'я'),
            1 => any::<char>(),
        ]
    }

    fn valid_name() -> impl Strategy<Value = String> {
        prop::collection::vec(tricky_char(), 1..24).prop_filter_map("not a valid name", |cs| {
            Name::parse(&String::from_iter(cs))
                .ok()
                .map(|n| n.as_str().to_owned())
        })
    }

    /// Unit paths may hold line breaks and tabs: only their id and normalised path matter.
    fn unit_path() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![4 => tricky_char(), 1 => prop::sample::select(vec!['\n', '\r', '\t'])],
            0..30,
        )
        .prop_map(String::from_iter)
    }

    fn world() -> impl Strategy<Value = (Vec<UnitRef>, Vec<DirectionRef>, Vec<ExistingEmployee>)> {
        let directions: Vec<DirectionRef> =
            ["=Довідки", "Субсидії, пільги", "\"Пенсії\"", "خدمات", "-"]
                .iter()
                .zip(1..)
                .map(|(name, id)| DirectionRef {
                    id,
                    name: (*name).to_owned(),
                })
                .collect();
        (
            prop::collection::vec(unit_path(), 1..5),
            prop::collection::vec(
                (
                    valid_name(),
                    valid_name(),
                    any::<prop::sample::Index>(),
                    any::<bool>(),
                    prop::collection::vec(1u32..=5, 0..4),
                ),
                0..12,
            ),
        )
            .prop_map(move |(paths, people)| {
                let units: Vec<UnitRef> = paths
                    .into_iter()
                    .zip(1..)
                    .map(|(path, id)| unit(id, &path))
                    .collect();
                let employees = people
                    .into_iter()
                    .zip(100..)
                    .map(|((name, position, u, active, dirs), id)| ExistingEmployee {
                        id: eid(id),
                        name,
                        position,
                        unit: u.get(&units).id,
                        active,
                        directions: dirs,
                    })
                    .collect();
                (units, directions.clone(), employees)
            })
    }

    proptest! {
        #[test]
        fn plan_of_an_export_is_all_unchanged((units, directions, employees) in world()) {
            let out = export(&units, &directions, &employees);
            let plan = match plan(out.as_bytes(), &units, &directions, &employees) {
                Err(CsvError::NoRows) if employees.is_empty() => return Ok(()),
                other => other,
            };
            let plan = plan.map_err(|e| TestCaseError::fail(format!("{e}\n{out}")))?;
            prop_assert_eq!(&plan.errors, &vec![], "{}", out);
            prop_assert_eq!(plan.rows.len(), employees.len());
            for (row, e) in plan.rows.iter().zip(&employees) {
                prop_assert_eq!(row.action, Action::Unchanged, "{:?} {}", row, out);
                prop_assert_eq!(row.employee_id, Some(e.id));
            }
        }

        #[test]
        fn plan_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = plan(&bytes, &units(), &directions(), &existing());
        }

        #[test]
        fn planned_rows_only_name_the_callers_units(
            rows in prop::collection::vec(
                (
                    prop::sample::select(vec!["", "10", "11", "12", "x"]),
                    prop::sample::select(vec!["", "1", "2", "4", "5", "99"]),
                    prop::sample::select(vec!["", "Міська рада", "Міська рада / ЦНАП", "Інше"]),
                    prop::sample::select(vec![",", ";", "\"", "\n", "'", ""]),
                ),
                1..20,
            ),
            delimiter in prop::sample::select(vec![",", ";"]),
        ) {
            let mine = &units()[..2];
            let mut csv = HEADER.join(delimiter);
            for (id, unit_id, path, junk) in rows {
                csv.push('\n');
                csv.push_str(&[id, "Ім'я", junk, unit_id, path, "Довідки", "1"].join(delimiter));
            }
            if let Ok(plan) = plan(csv.as_bytes(), mine, &directions(), &existing()) {
                for row in &plan.rows {
                    prop_assert!(mine.iter().any(|u| u.id == row.unit));
                    prop_assert!(row.employee_id.is_none_or(|id| existing().iter().any(|e| e.id == id)));
                }
            }
        }
    }
}
