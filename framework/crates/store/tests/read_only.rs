//! Reading never writes: `Store::open_read_only` creates, migrates and locks
//! nothing, and a database that is not mer's is refused untouched by
//! readers and writers alike.

use std::path::Path;

use mer_store::{Store, StoreError, TrialFilter};

/// Runs SQL statements on a SQLite file through a plain connection.
fn execute(path: &Path, create: bool, statements: &[&'static str]) {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(create),
            )
            .await
            .unwrap();
        for statement in statements {
            sqlx::query(*statement).execute(&pool).await.unwrap();
        }
        pool.close().await;
    });
}

/// Another application's SQLite file: one table of its own, one row.
fn foreign_database(path: &Path) {
    execute(
        path,
        true,
        &[
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
            "INSERT INTO notes (body) VALUES ('mine')",
        ],
    );
}

/// Takes back the record of the newest migration, as if the database had
/// been written by the release before it.
fn forget_newest_migration(path: &Path) {
    execute(
        path,
        false,
        &[
            "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
        ],
    );
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_foreign_database_is_refused_untouched_by_readers_and_writers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    foreign_database(&path);
    let bytes = std::fs::read(&path).unwrap();
    let files = files_in(dir.path());
    let attempts = [
        ("read-only", Store::open_read_only(&path).map(drop)),
        ("existing", Store::open_existing(&path).map(drop)),
        ("open", Store::open(&path).map(drop)),
    ];
    for (how, r) in attempts {
        match r {
            Err(e @ StoreError::Foreign { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("app.db") && msg.contains("notes"),
                    "{how}: {msg}"
                );
            }
            Err(other) => panic!("{how}: expected Foreign, got {other}"),
            Ok(()) => panic!("{how}: a foreign database was opened"),
        }
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file is untouched"
    );
    assert_eq!(files_in(dir.path()), files, "no lock, WAL or other file");
}

#[test]
fn reading_creates_migrates_and_locks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A missing database stays missing.
    let missing = dir.path().join("none.db");
    assert!(matches!(
        Store::open_read_only(&missing),
        Err(StoreError::Missing { .. })
    ));
    assert!(files_in(dir.path()).is_empty());

    // An older schema is not migrated by a reader: it says how to upgrade.
    // (A current store whose migration record is taken back stands for a
    // database written before the newest migration.)
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store");
    let old = dir.path().join("old.db");
    std::fs::copy(fixtures.join("schema_v1.db"), &old).unwrap();
    drop(Store::open(&old).unwrap());
    forget_newest_migration(&old);
    std::fs::remove_file(dir.path().join("old.db.lock")).unwrap();
    let bytes = std::fs::read(&old).unwrap();
    match Store::open_read_only(&old) {
        Err(e @ StoreError::OldSchema { .. }) => {
            assert!(e.to_string().contains("mer db upgrade"), "{e}");
        }
        Err(other) => panic!("expected OldSchema, got {other}"),
        Ok(_) => panic!("an old schema was read as current"),
    }
    assert_eq!(std::fs::read(&old).unwrap(), bytes, "not migrated");
    assert!(!dir.path().join("old.db.lock").exists());

    let path = dir.path().join("results.db");
    std::fs::copy(fixtures.join("schema_v1.db"), &path).unwrap();
    // Upgraded (a writer), it reads; the reader adds no lock file.
    let n = {
        let store = Store::open(&path).unwrap();
        store.trials(&TrialFilter::default()).unwrap().len()
    };
    std::fs::remove_file(dir.path().join("results.db.lock")).unwrap();
    let store = Store::open_read_only(&path).unwrap();
    assert_eq!(store.trials(&TrialFilter::default()).unwrap().len(), n);
    drop(store);
    assert!(!dir.path().join("results.db.lock").exists());
}
