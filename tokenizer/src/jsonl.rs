//! JSON Lines batch helper (feature `std`).
//!
//! Input: one JSON value per line, either a string (a single text) or a two-element array
//! `[text, pair]`. Blank lines are skipped. Output: one object per input line,
//! `{"input_ids":[..],"token_type_ids":[..],"attention_mask":[..],"offsets":[[s,e],..]}`
//! (offsets in chars). Overflowing windows are not written (only the first window).

use crate::{EncodeOptions, Error, Tokenizer};
use std::io::{BufRead, Write};
use std::string::String;
use std::vec::Vec;

/// Why [`tokenize_jsonl`] stopped.
#[derive(Debug)]
pub enum JsonlError {
    /// Reading input or writing output failed.
    Io(std::io::Error),
    /// Line `line` (1-based) is not a JSON string or `[string, string]`.
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Encoding line `line` failed (e.g. truncation impossible).
    Encode {
        /// 1-based line number.
        line: usize,
        /// The error.
        error: Error,
    },
}

impl core::fmt::Display for JsonlError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            JsonlError::Io(e) => write!(f, "I/O error: {e}"),
            JsonlError::BadLine { line, message } => write!(f, "line {line}: {message}"),
            JsonlError::Encode { line, error } => write!(f, "line {line}: {error}"),
        }
    }
}

impl std::error::Error for JsonlError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JsonlError::Io(e) => Some(e),
            JsonlError::Encode { error, .. } => Some(error),
            JsonlError::BadLine { .. } => None,
        }
    }
}

impl From<std::io::Error> for JsonlError {
    fn from(e: std::io::Error) -> Self {
        JsonlError::Io(e)
    }
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Input {
    Single(String),
    Pair(String, String),
}

fn write_list(out: &mut Vec<u8>, name: &str, values: &[u32]) {
    use std::io::Write as _;
    let _ = write!(out, "\"{name}\":[");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = write!(out, "{v}");
    }
    out.push(b']');
}

/// Tokenize every line of `input` and write one JSON object per line to `output`.
pub fn tokenize_jsonl<R: BufRead, W: Write>(
    tok: &Tokenizer,
    input: R,
    mut output: W,
    opts: &EncodeOptions,
) -> Result<(), JsonlError> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    for (i, line) in input.lines().enumerate() {
        let line_no = i + 1;
        let line = line.map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => {
                JsonlError::BadLine { line: line_no, message: "not valid UTF-8".into() }
            }
            _ => JsonlError::Io(e),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Input = serde_json::from_str(&line).map_err(|e| JsonlError::BadLine {
            line: line_no,
            message: std::format!("expected a JSON string or [text, pair] ({e})"),
        })?;
        let enc = match &parsed {
            Input::Single(t) => tok.encode(t, opts),
            Input::Pair(a, b) => tok.encode_pair(a, b, opts),
        }
        .map_err(|error| JsonlError::Encode { line: line_no, error })?;
        buf.clear();
        buf.push(b'{');
        write_list(&mut buf, "input_ids", &enc.input_ids);
        buf.push(b',');
        write_list(&mut buf, "token_type_ids", &enc.token_type_ids);
        buf.push(b',');
        write_list(&mut buf, "attention_mask", &enc.attention_mask);
        buf.extend_from_slice(b",\"offsets\":[");
        for (j, (s, e)) in enc.offsets.iter().enumerate() {
            if j > 0 {
                buf.push(b',');
            }
            let _ = std::write!(&mut buf, "[{s},{e}]");
        }
        buf.extend_from_slice(b"]}\n");
        output.write_all(&buf)?;
    }
    output.flush()?;
    Ok(())
}
