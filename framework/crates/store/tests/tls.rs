//! TLS settings in a PostgreSQL URL are honoured: the test server's TCP
//! listener accepts TLS connections only (`tools/pg-test-server`), with a
//! certificate from a throwaway CA.

use mer_store::{Location, Store};

#[test]
fn tls_options_in_the_url_are_honoured_and_errors_hide_the_password() {
    let Some(socket_url) = mer_store::testing::fresh_postgres() else {
        return; // no server configured (CI requires one: see the module docs)
    };
    let tls = std::env::var("MER_TEST_POSTGRES_TLS_URL").expect("the test server's TLS URL");
    let ca = std::env::var("MER_TEST_POSTGRES_CA").unwrap();
    let other_ca = std::env::var("MER_TEST_POSTGRES_OTHER_CA").unwrap();
    let db = socket_url.rsplit('/').next().unwrap();
    let base = format!(
        "{}/{db}",
        tls.rsplit_once('/')
            .unwrap()
            .0
            .replacen("mer@", "mer:pw-secret@", 1)
    );
    let open = |query: &str| Store::open_at(&Location::Postgres(format!("{base}?{query}")));

    // Verified against the right CA: the store opens and works.
    let store = open(&format!("sslmode=verify-full&sslrootcert={ca}")).unwrap();
    store.ensure_experiment("over-tls", "").unwrap();
    assert_eq!(store.experiment("over-tls").unwrap().name, "over-tls");
    assert!(!format!("{store:?}").contains("pw-secret"));

    // TLS off: the server refuses plain TCP, and the error says so.
    let err = open("sslmode=disable").unwrap_err().to_string();
    assert!(err.contains("no encryption"), "{err}");
    assert!(
        err.contains("mer:***@localhost") && !err.contains("pw-secret"),
        "{err}"
    );

    // A CA that did not sign the server's certificate: refused.
    let err = open(&format!("sslmode=verify-full&sslrootcert={other_ca}"))
        .unwrap_err()
        .to_string();
    assert!(
        err.to_lowercase().contains("certificate") || err.to_lowercase().contains("tls"),
        "{err}"
    );
    assert!(!err.contains("pw-secret"), "{err}");
}

/// A server that is not there: an error at once, with the cause and the
/// URL's password hidden (no server needed).
#[test]
fn an_unreachable_server_is_an_immediate_error_naming_the_cause() {
    let started = std::time::Instant::now();
    let err = Store::open_at(&Location::Postgres(
        "postgres://mer:pw-secret@127.0.0.1:1/results".into(),
    ))
    .unwrap_err()
    .to_string();
    assert!(err.contains("Connection refused"), "{err}");
    assert!(
        err.starts_with("postgres://mer:***@127.0.0.1:1/results"),
        "{err}"
    );
    assert!(!err.contains("pw-secret"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}
