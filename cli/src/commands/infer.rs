//! `electra infer FILE --input IN.json [--output OUT.json]` — the JSON contract tests rely on.
//!
//! IN:  {"input_ids": [[...]], "attention_mask": [[...]], "token_type_ids": [[...]]}
//!      batch × seq, or batch × choices × seq for multiple choice; mask and types optional.
//! OUT: {"<output name>": {"shape": [...], "data": [row-major f32 ...]}, ...}

use std::io::{Read, Write};
use std::path::PathBuf;

use electra_engine::{Head, Inputs};
use serde_json::{Map, Value};

use crate::load::{self, Error};

#[derive(clap::Args)]
pub struct Args {
    /// Model file written by electra-convert.
    file: PathBuf,
    /// Input JSON; absent or '-' reads stdin.
    #[arg(long, short)]
    input: Option<String>,
    /// Output JSON; absent or '-' writes stdout.
    #[arg(long, short)]
    output: Option<String>,
}

/// A rectangular integer array flattened, with its shape.
pub struct IdArray {
    pub shape: Vec<usize>,
    pub data: Vec<u32>,
}

fn flatten(name: &str, v: &Value, depth: usize, shape: &mut Vec<usize>, out: &mut Vec<u32>) -> Result<(), Error> {
    match v {
        Value::Array(items) => {
            if depth == shape.len() {
                shape.push(items.len());
            } else if shape[depth] != items.len() {
                return Err(format!("{name} is ragged: rows of different lengths").into());
            }
            if depth >= 3 {
                return Err(format!("{name} has more than 3 dimensions").into());
            }
            for item in items {
                flatten(name, item, depth + 1, shape, out)?;
            }
            Ok(())
        }
        Value::Number(n) => {
            if depth != shape.len() {
                return Err(format!("{name} is ragged: numbers and arrays mixed").into());
            }
            let x = n.as_u64().and_then(|x| u32::try_from(x).ok()).ok_or_else(|| {
                format!("{name} holds {n}, which is not a non-negative integer below 2^32")
            })?;
            out.push(x);
            Ok(())
        }
        other => Err(format!("{name} holds {other}, expected numbers").into()),
    }
}

pub fn id_array(obj: &Map<String, Value>, name: &str) -> Result<Option<IdArray>, Error> {
    let Some(v) = obj.get(name) else { return Ok(None) };
    if v.is_null() {
        return Ok(None);
    }
    let (mut shape, mut data) = (Vec::new(), Vec::new());
    flatten(name, v, 0, &mut shape, &mut data)?;
    if shape.contains(&0) {
        return Err(format!("{name} is empty").into());
    }
    if data.len() != shape.iter().product::<usize>() {
        return Err(format!("{name} is ragged").into());
    }
    Ok(Some(IdArray { shape, data }))
}

fn read_input(path: Option<&str>) -> Result<String, Error> {
    let mut s = String::new();
    match path {
        None | Some("-") => {
            std::io::stdin().read_to_string(&mut s).map_err(|e| format!("stdin: {e}"))?;
        }
        Some(p) => s = std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"))?,
    }
    Ok(s)
}

pub fn run(args: Args) -> Result<(), Error> {
    let map = load::map(&args.file)?;
    let model = load::model(&args.file, &map)?;
    let text = read_input(args.input.as_deref())?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("input is not valid JSON: {e}"))?;
    let obj = v.as_object().ok_or("input JSON must be an object with input_ids")?;
    let ids = id_array(obj, "input_ids")?.ok_or("input JSON has no input_ids")?;
    let mask = id_array(obj, "attention_mask")?;
    let types = id_array(obj, "token_type_ids")?;
    for (name, a) in [("attention_mask", &mask), ("token_type_ids", &types)] {
        if let Some(a) = a {
            if a.shape != ids.shape {
                return Err(format!("{name} has shape {:?}, input_ids has {:?}", a.shape, ids.shape).into());
            }
        }
    }
    let mc = model.head == Head::MultipleChoice;
    let (batch, choices, seq) = match (mc, ids.shape.as_slice()) {
        (false, &[b, s]) => (b, 1, s),
        (true, &[b, c, s]) => (b * c, c, s),
        (false, _) => return Err(format!("input_ids must be batch × seq, got shape {:?}", ids.shape).into()),
        (true, _) => {
            return Err(format!("multiple choice needs input_ids of batch × choices × seq, got shape {:?}", ids.shape).into())
        }
    };
    let inputs = Inputs {
        input_ids: &ids.data,
        attention_mask: mask.as_ref().map(|m| m.data.as_slice()),
        token_type_ids: types.as_ref().map(|t| t.data.as_slice()),
        batch,
        seq,
        choices,
    };
    // Validate before sizing buffers from the input: a huge sequence must be an error, not an
    // allocation failure.
    model.validate_inputs(&inputs, 0)?;
    let mut scratch = vec![0.0f32; model.scratch_len(batch, seq, 0)];
    let mut out = vec![0.0f32; model.output_len(batch, seq, choices)];
    model.forward(&inputs, &mut scratch, &mut out)?;

    let (specs, n) = model.outputs(batch, seq, choices);
    // Written by hand so each f32 prints as its shortest round-trip decimal (serde_json would
    // widen to f64 and print 17 digits). Non-finite values, which JSON cannot hold, become null.
    let mut text = String::with_capacity(out.len() * 12);
    text.push('{');
    let mut offset = 0;
    for (k, spec) in specs[..n].iter().enumerate() {
        use std::fmt::Write as _;
        let data = &out[offset..offset + spec.len()];
        offset += spec.len();
        if k > 0 {
            text.push(',');
        }
        let shape: Vec<String> = spec.dims().iter().map(|d| d.to_string()).collect();
        write!(text, "\"{}\":{{\"shape\":[{}],\"data\":[", spec.name, shape.join(","))?;
        for (i, x) in data.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            if x.is_finite() {
                write!(text, "{x:?}")?;
            } else {
                text.push_str("null");
            }
        }
        text.push_str("]}");
    }
    text.push_str("}\n");
    write_output(args.output.as_deref(), &text)
}

fn write_output(path: Option<&str>, text: &str) -> Result<(), Error> {
    match path {
        None | Some("-") => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Some(p) => std::fs::write(p, text).map_err(|e| format!("{p}: {e}"))?,
    }
    Ok(())
}
