//! Helpers shared by the tests that compare mer's numbers with reference
//! fixtures written by the scripts under `tools/` (scikit-learn, scipy).

use std::path::PathBuf;

use serde_json::Value;

/// A fixture under `tests/fixtures/`, parsed.
pub fn fixture(rel: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn float(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) if s == "NaN" => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        other => panic!("not a fixture float: {other}"),
    }
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(float).collect()
}

pub fn table(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(floats).collect()
}

// Largest `|got - want| / max(1, |want|)` seen so far in this test thread,
// printed by `report` (`cargo test -- --nocapture` shows it).
thread_local! {
    static WORST: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

pub fn report(test: &str) {
    WORST.with(|w| {
        eprintln!(
            "{test}: largest scaled |diff| from the reference = {:e}",
            w.get()
        );
        w.set(0.0);
    });
}

pub fn close(case: &str, what: &str, got: f64, want: f64, tol: f64) {
    if want.is_nan() {
        assert!(got.is_nan(), "{case}: {what} = {got}, reference NaN");
        return;
    }
    if want.is_infinite() {
        assert_eq!(got, want, "{case}: {what}");
        return;
    }
    let err = (got - want).abs();
    WORST.with(|w| {
        w.set(w.get().max(err / want.abs().max(1.0)));
    });
    assert!(
        err <= tol * want.abs().max(1.0),
        "{case}: {what} = {got:e}, reference {want:e}, |diff| {err:e} > tol {tol:e}"
    );
}
