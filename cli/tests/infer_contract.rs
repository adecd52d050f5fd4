//! The `electra infer` contract, through the real binary: every golden fixture (converted with
//! `--f32`) matches transformers within 1e-4, and every bad input is a one-line error with a
//! non-zero exit, never a panic.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use electra_convert::WeightType;
use electra_tests::{manifest, max_abs_diff, tensor};

fn electra() -> Command {
    Command::new(env!("CARGO_BIN_EXE_electra"))
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("electra-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn convert_fixture(name: &str, wt: WeightType) -> PathBuf {
    let fx = manifest().into_iter().find(|f| f.name == name).unwrap();
    let path = temp(&format!("{name}.elt"));
    std::fs::write(&path, fx.convert(wt).unwrap().as_bytes()).unwrap();
    path
}

fn infer_stdin(model: &Path, input: &str) -> Output {
    let mut child = electra()
        .args(["infer", model.to_str().unwrap(), "--input", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The binary may fail (and close stdin) before reading it: a broken pipe here is fine.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

/// A failed command: non-zero exit, exactly one stderr line naming the problem, no panic.
fn assert_clean_error(out: &Output, must_mention: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "stderr must be one line: {stderr:?}");
    assert!(stderr.starts_with("electra: error: "), "{stderr:?}");
    assert!(stderr.contains(must_mention), "{stderr:?} does not mention {must_mention:?}");
}

#[test]
fn every_fixture_through_the_binary_matches_transformers() {
    let mut n = 0;
    for fx in manifest().into_iter().filter(|f| f.expect_error.is_none()) {
        let model = temp(&format!("{}.f32.elt", fx.name));
        std::fs::write(&model, fx.convert(WeightType::F32).unwrap().as_bytes()).unwrap();
        let output = temp(&format!("{}.out.json", fx.name));
        let status = electra()
            .args(["infer", model.to_str().unwrap(), "--input"])
            .arg(fx.dir.join("input.json"))
            .arg("--output")
            .arg(&output)
            .status()
            .unwrap();
        assert!(status.success(), "{}: electra infer failed", fx.name);
        let got: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
        let want = fx.expected();
        assert_eq!(got.as_object().unwrap().len(), fx.outputs.len(), "{}: output names", fx.name);
        for name in &fx.outputs {
            let (gs, g) = tensor(&got[name]);
            let (ws, w) = tensor(&want[name]);
            assert_eq!(gs, ws, "{}: {name} shape", fx.name);
            let err = max_abs_diff(&g, &w);
            assert!(err <= 1e-4, "{}: {name} max abs error {err}", fx.name);
        }
        n += 1;
    }
    assert!(n >= 40);
}

#[test]
fn stdin_and_stdout_work() {
    let model = convert_fixture("seqcls", WeightType::F32);
    let out = infer_stdin(&model, r#"{"input_ids": [[2, 10, 11, 3]]}"#);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["logits"]["shape"], serde_json::json!([1, 3]));
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let model = convert_fixture("seqcls", WeightType::F32);
    let mc = convert_fixture("multiple_choice_first", WeightType::F32);
    let cases: &[(&Path, &str, &str)] = &[
        (&model, "not json", "not valid JSON"),
        (&model, "[1, 2]", "object"),
        (&model, "{}", "input_ids"),
        (&model, r#"{"input_ids": [[2, 3], [4]]}"#, "ragged"),
        (&model, r#"{"input_ids": [[2, -3]]}"#, "non-negative"),
        (&model, r#"{"input_ids": [[2, 1.5]]}"#, "non-negative"),
        (&model, r#"{"input_ids": [["a"]]}"#, "expected numbers"),
        (&model, r#"{"input_ids": [[]]}"#, "empty"),
        (&model, r#"{"input_ids": [[2, 99999]]}"#, "outside the vocabulary"),
        (&model, r#"{"input_ids": [[2, 3]], "token_type_ids": [[0, 7]]}"#, "token_type_ids"),
        (&model, r#"{"input_ids": [[2, 3]], "attention_mask": [[1]]}"#, "attention_mask"),
        (&model, r#"{"input_ids": [[[2, 3]]]}"#, "batch × seq"),
        (&model, r#"{"input_ids": [2, 3]}"#, "batch × seq"),
        (&mc, r#"{"input_ids": [[2, 3]]}"#, "choices"),
    ];
    for (m, input, mention) in cases {
        assert_clean_error(&infer_stdin(m, input), mention);
    }
    // A sequence longer than max_position_embeddings.
    let long: Vec<String> = (0..1000).map(|_| "5".to_string()).collect();
    assert_clean_error(&infer_stdin(&model, &format!(r#"{{"input_ids": [[{}]]}}"#, long.join(","))), "max_position_embeddings");
}

#[test]
fn bad_model_files_are_one_line_errors() {
    let good = std::fs::read(convert_fixture("pretraining", WeightType::Int8)).unwrap();
    let input = r#"{"input_ids": [[2, 3]]}"#;
    let missing = temp("does-not-exist.elt");
    assert_clean_error(&infer_stdin(&missing, input), "does-not-exist");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"hello, this is not a model".to_vec(), "magic"),
        (Vec::new(), "truncated"),
        (good[..good.len() / 2].to_vec(), "model file"),
        ({
            let mut b = good.clone();
            let last = b.len() - 100;
            b[last] ^= 0x55; // inside the data section: only the data checksum can tell
            b
        }, "checksum"),
        ({
            let mut b = good.clone();
            b[70] ^= 0xff; // inside the header
            b
        }, "checksum"),
    ];
    for (i, (bytes, mention)) in cases.iter().enumerate() {
        let path = temp(&format!("bad-{i}.elt"));
        std::fs::write(&path, bytes).unwrap();
        assert_clean_error(&infer_stdin(&path, input), mention);
    }
}

#[test]
fn run_and_tokenize_take_text() {
    let vocab = electra_tests::fixtures_dir().join("models/seqcls/vocab.txt");
    let model = convert_fixture("seqcls", WeightType::Int8);
    let out = electra().args(["run", model.to_str().unwrap(), "a b c"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for label in ["neg", "neu", "pos"] {
        assert!(text.contains(label), "{text}");
    }
    let mut child = electra()
        .args(["tokenize", "--vocab", vocab.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"\"a b\"\n[\"a\", \"b\"]\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["token_type_ids"], serde_json::json!([0, 0, 0, 1, 1]));
}
