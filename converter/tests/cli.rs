//! The `electra-convert` binary: writes a loadable file, refuses bad checkpoints with a one-line
//! error and a non-zero exit, and never leaves a partial output behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn convert(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_electra-convert")).args(args).output().unwrap()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/models").join(name)
}

fn out_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("electra-convert-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn assert_one_line_error(out: &Output, mention: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err:?}");
    assert!(err.contains(mention), "{err:?} should mention {mention:?}");
}

#[test]
fn converts_every_dtype_and_the_file_loads() {
    let dir = out_dir("dtypes");
    for flag in ["--int8", "--f16", "--f32"] {
        let path = dir.join(format!("m{flag}.elt"));
        let out = convert(&[fixture("seqcls").to_str().unwrap(), flag, "-o", path.to_str().unwrap(), "-q"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let bytes = electra_engine::buffer::AlignedBytes::from_slice(&std::fs::read(&path).unwrap());
        electra_engine::Model::from_bytes(&bytes).unwrap();
    }
    // Only the outputs: no temporary files left in the folder.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
}

#[test]
fn report_is_written_as_json() {
    let dir = out_dir("report");
    let (model, report) = (dir.join("m.elt"), dir.join("r.json"));
    let out = convert(&[
        fixture("seqcls_bigger").to_str().unwrap(),
        "--int8",
        "-o",
        model.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2 * 2, "two sites per layer, two layers");
    assert!(rows.iter().all(|r| r["mean_cosine"].as_f64().unwrap() > 0.9));
}

#[test]
fn failures_leave_no_output() {
    let dir = out_dir("failures");
    let target = dir.join("out.elt");
    let t = target.to_str().unwrap();
    // A head whose weights are missing: refused, nothing written.
    let out = convert(&[fixture("base_as_seqcls_missing_head").to_str().unwrap(), "-o", t]);
    assert_one_line_error(&out, "classifier.dense.weight");
    // Not a checkpoint folder.
    let out = convert(&[dir.to_str().unwrap(), "-o", t]);
    assert_one_line_error(&out, "config.json");
    // An unknown head name.
    let out = convert(&[fixture("seqcls").to_str().unwrap(), "--head", "nope", "-o", t]);
    assert_one_line_error(&out, "unknown head");
    // Bad calibration inputs, found after the f32 reference model was streamed to a temporary
    // file in the output folder.
    let bad = out_dir("failures-calibration").join("in.json");
    std::fs::write(&bad, b"{\"input_ids\": \"seven\"}").unwrap();
    let out = convert(&[fixture("seqcls").to_str().unwrap(), "--int8", "--calibration", bad.to_str().unwrap(), "-o", t]);
    assert_one_line_error(&out, "in.json");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "a failed conversion left files behind");
    // An output folder that does not exist: a clean error.
    let out = convert(&[fixture("seqcls").to_str().unwrap(), "-o", dir.join("missing/out.elt").to_str().unwrap()]);
    assert_one_line_error(&out, "missing");
}

#[test]
fn an_existing_output_is_replaced_whole() {
    let dir = out_dir("replace");
    let target = dir.join("out.elt");
    std::fs::write(&target, b"old contents").unwrap();
    let out = convert(&[fixture("pretraining").to_str().unwrap(), "--f32", "-o", target.to_str().unwrap(), "-q"]);
    assert!(out.status.success());
    let bytes = std::fs::read(&target).unwrap();
    assert_eq!(&bytes[..8], b"ELECTRA\x1a");
}
