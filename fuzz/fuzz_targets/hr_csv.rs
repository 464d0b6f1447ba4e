#![no_main]
//! Any bytes as an HR list: planning must never panic, must only name the given units,
//! employees and directions, and a clean plan, once applied and exported, must read back
//! unchanged.

use civicrate::import::hr_csv::{self, Action, DirectionRef, ExistingEmployee, UnitRef};
use civicrate::org::{EmployeeId, Name, UnitId};
use libfuzzer_sys::fuzz_target;

fn unit(id: i64, path: &str) -> Option<UnitRef> {
    Some(UnitRef {
        id: UnitId::parse(id)?,
        path: path.to_owned(),
    })
}

fn employee(id: i64, name: &str, unit: i64, directions: &[u32]) -> Option<ExistingEmployee> {
    Some(ExistingEmployee {
        id: EmployeeId::parse(id)?,
        name: name.to_owned(),
        position: "Спеціаліст".to_owned(),
        unit: UnitId::parse(unit)?,
        active: true,
        directions: directions.to_vec(),
    })
}

fuzz_target!(|data: &[u8]| {
    // The seeds in corpus/hr_csv/ use these ids and names.
    let units: Vec<UnitRef> = [
        unit(1, "Міська рада"),
        unit(2, "Міська рада / Соціальний захист"),
        unit(3, "Міська рада / ЦНАП"),
        unit(4, "Міська рада / ЦНАП"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let directions: Vec<DirectionRef> = ["Довідки", "Субсидії", "=Пенсії"]
        .iter()
        .zip(1..)
        .map(|(name, id)| DirectionRef {
            id,
            name: (*name).to_owned(),
        })
        .collect();
    let existing: Vec<ExistingEmployee> = [
        employee(10, "Олена Коваль", 2, &[1, 2]),
        employee(11, "Петро Шевченко", 3, &[]),
    ]
    .into_iter()
    .flatten()
    .collect();

    let Ok(plan) = hr_csv::plan(data, &units, &directions, &existing) else {
        return;
    };
    // Line breaks as the reader counts them: CRLF, LF or a lone CR.
    let lines = 1 + data
        .iter()
        .zip(std::iter::once(&0).chain(data.iter()))
        .filter(|(b, previous)| **b == b'\r' || (**b == b'\n' && **previous != b'\r'))
        .count();
    let mut previous = 1;
    for row in &plan.rows {
        assert!(units.iter().any(|u| u.id == row.unit), "{row:?}");
        assert!(row.line > previous && row.line <= lines, "{row:?}");
        previous = row.line;
        assert!(row.directions.windows(2).all(|w| w[0] < w[1]));
        assert!(row
            .directions
            .iter()
            .all(|d| directions.iter().any(|x| x.id == *d)));
        assert_eq!(Name::parse(row.name.as_str()).as_ref(), Ok(&row.name));
        match row.action {
            Action::Create => assert!(row.employee_id.is_none() && row.fields.is_empty()),
            Action::Update => assert!(!row.fields.is_empty()),
            Action::Unchanged => assert!(row.fields.is_empty()),
        }
        if let Some(id) = row.employee_id {
            assert!(existing.iter().any(|e| e.id == id));
        }
    }
    for error in &plan.errors {
        assert!(error.line > 1 && error.line <= lines, "{error:?}");
    }
    if !plan.errors.is_empty() {
        return;
    }
    // Apply the plan, export, and read the export back: nothing may change.
    let mut after: Vec<ExistingEmployee> = existing
        .iter()
        .filter(|e| !plan.rows.iter().any(|r| r.employee_id == Some(e.id)))
        .cloned()
        .collect();
    for (i, row) in plan.rows.iter().enumerate() {
        let id = row
            .employee_id
            .or_else(|| EmployeeId::parse(1000 + i as i64));
        if let Some(id) = id {
            after.push(ExistingEmployee {
                id,
                name: row.name.as_str().to_owned(),
                position: row.position.as_str().to_owned(),
                unit: row.unit,
                active: row.active,
                directions: row.directions.clone(),
            });
        }
    }
    let out = hr_csv::export(&units, &directions, &after);
    let again = hr_csv::plan(out.as_bytes(), &units, &directions, &after).expect("an export reads");
    assert!(again.errors.is_empty(), "{:?}\n{out}", again.errors);
    assert!(
        again.rows.iter().all(|r| r.action == Action::Unchanged),
        "{out}"
    );
    assert_eq!(again.rows.len(), after.len());
});
