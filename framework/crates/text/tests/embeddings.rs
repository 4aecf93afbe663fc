//! Embedding import (fixtures from `tools/text_embeddings_fixture.py`, the
//! main ones written by `tools/embed_lyrics.py`'s own writer): every format
//! reads the values NumPy wrote, missing and extra ids are reported, and bad
//! files are errors naming the file and the row or line.

use std::path::{Path, PathBuf};

use mer_text::{
    EmbeddingTable, FeatureMatrix, TextError, TextFeatureConfig, TextResources, fit_with,
};
use serde::Deserialize;

fn fx(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/text/embeddings")
        .join(name)
}

#[derive(Deserialize)]
struct Expected {
    ids: Vec<String>,
    dim: usize,
    values_f32: Vec<Vec<f32>>,
    values_f16: Vec<Vec<f32>>,
    values_bf16: Vec<Vec<f32>>,
}

fn expected() -> Expected {
    serde_json::from_str(&std::fs::read_to_string(fx("expected.json")).unwrap()).unwrap()
}

/// File, id list, expected values.
type Case<'a> = (&'a str, Option<&'a str>, &'a Vec<Vec<f32>>);

fn assert_table(t: &EmbeddingTable, ids: &[String], values: &[Vec<f32>], what: &str) {
    assert_eq!(t.ids(), ids, "{what}");
    for (id, row) in ids.iter().zip(values) {
        // Exact: every format stores (or round-trips) the same binary value.
        assert_eq!(t.get(id).unwrap(), row.as_slice(), "{what}: {id}");
    }
}

#[test]
fn every_format_reads_the_values_numpy_wrote() {
    let e = expected();
    let cases: [Case; 6] = [
        ("emb_f32.npy", Some("emb_f32.ids.txt"), &e.values_f32),
        ("emb_f64_fortran.npy", Some("emb.ids.txt"), &e.values_f32),
        ("emb_f16_be.npy", Some("emb.ids.txt"), &e.values_f16),
        ("emb.safetensors", None, &e.values_f32),
        ("emb_bf16.safetensors", Some("emb.ids.txt"), &e.values_bf16),
        ("emb.csv", None, &e.values_f32),
    ];
    for (file, ids, values) in cases {
        let ids_path = ids.map(fx);
        let t = EmbeddingTable::load(&fx(file), ids_path.as_deref(), Some(e.dim))
            .unwrap_or_else(|err| panic!("{file}: {err}"));
        assert_eq!(t.dim(), e.dim);
        assert_table(&t, &e.ids, values, file);
        assert_eq!(t.content_hash().len(), 64);
    }
}

#[test]
fn missing_and_extra_ids_are_reported_and_follow_the_policy() {
    let dataset: Vec<String> = std::fs::read_to_string(fx("dataset_ids.txt"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let dataset: Vec<&str> = dataset.iter().map(String::as_str).collect();
    let cfg: TextFeatureConfig = toml::from_str(
        "representation = \"embeddings\"\nmissing_lyrics = \"zero\"\n[embeddings]\npath = \"emb_f32.npy\"\nids = \"emb_f32.ids.txt\"\ndim = 4\n",
    )
    .unwrap();
    let res = TextResources::load(&cfg, &fx("")).unwrap();
    let table = res.embeddings.clone().unwrap();
    let cov = table.coverage(&dataset);
    assert_eq!(cov.n_dataset, 7);
    assert_eq!(cov.n_found, 5);
    assert_eq!(cov.missing, ["t07", "t08"]);
    assert_eq!(cov.n_extra, 1);
    assert_eq!(cov.extra_examples, ["t01"]);

    // Train on t02..t05, transform t05..t08: two rows have no vector.
    let docs = [None; 4];
    let fitted = fit_with(&cfg, &res, &docs, &dataset[..4]).unwrap();
    let out = fitted.transform(&docs, &dataset[3..]).unwrap();
    assert_eq!(out.mask, [true, true, false, false]);
    assert_eq!(out.stats.missing_ids, ["t07", "t08"]);
    let FeatureMatrix::Dense { dim, values, names } = &out.matrix else {
        panic!("dense expected")
    };
    assert_eq!(*dim, 4);
    assert_eq!(names, &["emb_0", "emb_1", "emb_2", "emb_3"]);
    assert_eq!(&values[..4], table.get("t05").unwrap());
    assert!(
        values[8..].iter().all(|v| *v == 0.0),
        "zero policy: zero rows"
    );
    // Under "drop" the executor keeps only the present rows.
    assert_eq!(out.present_indices(), [0, 1]);

    // Ids that match nothing are an error that shows both sides.
    let e = fit_with(&cfg, &res, &[None, None], &["x1", "x2"]).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("x1") && msg.contains("t01"), "{msg}");
}

fn load_err(file: &str, ids: Option<&str>, dim: Option<usize>) -> String {
    let ids_path = ids.map(fx);
    let e = EmbeddingTable::load(&fx(file), ids_path.as_deref(), dim).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(file), "error must name {file}: {msg}");
    msg
}

#[test]
fn bad_files_are_errors_naming_file_and_place() {
    let m = load_err("emb_bad_dim.csv", None, None);
    assert!(
        m.contains("line 4") && m.contains("\"t03\"") && m.contains("expected 4 values, found 3"),
        "{m}"
    );
    let m = load_err("emb_f32.npy", Some("emb_f32.ids.txt"), Some(768));
    assert!(m.contains("dimension 4") && m.contains("768"), "{m}");
    let m = load_err("emb_f32.npy", Some("ids_short.txt"), None);
    assert!(
        m.contains("6 rows") && m.contains("ids_short.txt") && m.contains("5 ids"),
        "{m}"
    );
    let m = load_err("emb_nan.npy", Some("emb.ids.txt"), None);
    assert!(
        m.contains("row 2") && m.contains("t03") && m.contains("column 1"),
        "{m}"
    );
    let m = load_err("emb_3d.npy", Some("emb.ids.txt"), None);
    assert!(m.contains("2-D") && m.contains("[6, 2, 2]"), "{m}");
    let m = load_err("emb_int.npy", Some("emb.ids.txt"), None);
    assert!(m.contains("<i8"), "{m}");
    let m = load_err("emb_truncated.npy", Some("emb.ids.txt"), None);
    assert!(m.contains("96 bytes") && m.contains("found 91"), "{m}");

    let e = EmbeddingTable::load(&fx("emb_f32.npy"), Some(&fx("ids_dup.txt")), None).unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("ids_dup.txt") && m.contains("line 4") && m.contains("line 2"),
        "{m}"
    );

    let e = EmbeddingTable::load(&fx("emb_f32.npy"), None, None).unwrap_err();
    match &e {
        TextError::Config(c) => assert_eq!(c.key().to_string(), "embeddings.ids"),
        other => panic!("expected a config error, got {other}"),
    }

    // safetensors whose ids were not stored, and a file that is not one.
    let e = EmbeddingTable::load(&fx("emb_bf16.safetensors"), None, None).unwrap_err();
    assert!(e.to_string().contains("\"ids\""), "{e}");
    let e = EmbeddingTable::from_safetensors_bytes(Path::new("junk.safetensors"), b"junk", None)
        .unwrap_err();
    assert!(matches!(e, TextError::Safetensors { .. }), "{e}");
    assert!(std::error::Error::source(&e).is_some());
}

#[test]
fn a_quoted_csv_id_may_hold_a_comma() {
    let p = Path::new("emb.csv");
    // As Python's csv module writes it (tools/embed_lyrics.py), CRLF and all.
    let t = EmbeddingTable::from_csv_str(
        p,
        "\"id\",v0,v1\r\n\"Artist, The - Song\",1,2\r\nplain,5,6\r\n",
    )
    .unwrap();
    assert_eq!(t.ids(), ["Artist, The - Song", "plain"]);
    assert_eq!(t.dim(), 2);
    assert_eq!(t.get("Artist, The - Song").unwrap(), [1.0, 2.0]);
    // Without a header, too.
    let t = EmbeddingTable::from_csv_str(p, "\"a,b\",1\n\"c,\",2\n").unwrap();
    assert_eq!(t.ids(), ["a,b", "c,"]);
}

#[test]
fn a_quoted_csv_id_may_hold_an_escaped_quote() {
    let p = Path::new("emb.csv");
    let t =
        EmbeddingTable::from_csv_str(p, "id,v0,v1\n\"say \"\"hi\"\"\",3,4\n\"\"\"q\"\"\",5,6\n")
            .unwrap();
    assert_eq!(t.ids(), ["say \"hi\"", "\"q\""]);
    assert_eq!(t.get("say \"hi\"").unwrap(), [3.0, 4.0]);
    assert_eq!(t.get("\"q\"").unwrap(), [5.0, 6.0]);
}

#[test]
fn csv_errors_name_the_file_line_after_quoted_line_breaks() {
    let p = Path::new("emb.csv");
    // Row 2 starts on line 3 because the quoted id of row 1 spans two lines.
    let e = EmbeddingTable::from_csv_str(p, "id,v0\n\"two\nlines\",1\n\nb,x\n").unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("emb.csv") && m.contains("line 5") && m.contains("\"x\" in column v0"),
        "{m}"
    );
    let e = EmbeddingTable::from_csv_str(p, "\"a,1\",1\n\n\"a,1\",nan\n").unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("line 3") && m.contains("\"a,1\"") && m.contains("unique"),
        "{m}"
    );
    let e = EmbeddingTable::from_csv_str(p, "id,v0,v1\n\"a,b\",1\n").unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("line 2 (id \"a,b\")") && m.contains("expected 2 values, found 1"),
        "{m}"
    );
}
