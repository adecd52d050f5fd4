//! `electra run FILE TEXT [--pair TEXT] [--choice TEXT ...]`: tokenize with the bundled tokenizer,
//! run the model's head and print what it means:
//! replaced-token probabilities (pretraining), top-k fills of [MASK] (masked LM), the next token
//! (causal LM), label probabilities (sequence / token classification), the best choice (multiple
//! choice: TEXT is the context, each --choice is paired with it), the answer span (question
//! answering: TEXT is the question, --pair the context).

use std::path::PathBuf;

use electra_engine::{Head, Inputs, Model};
use electra_tokenizer::{EncodeOptions, Encoding, Tokenizer, Truncation};

use crate::load::{self, Error};
use crate::text;

#[derive(clap::Args)]
pub struct Args {
    /// Model file written by electra-convert.
    file: PathBuf,
    /// The text (the question for question answering, the context for multiple choice).
    text: String,
    /// Second segment (the context for question answering).
    #[arg(long)]
    pair: Option<String>,
    /// A multiple-choice option (repeat for each).
    #[arg(long = "choice")]
    choices: Vec<String>,
    /// How many candidates to show (masked / causal LM).
    #[arg(long, default_value_t = 5)]
    top_k: usize,
    /// Longest answer in tokens (question answering).
    #[arg(long, default_value_t = 15)]
    max_answer_len: usize,
    #[command(flatten)]
    source: text::Source,
}

fn softmax(x: &[f32]) -> Vec<f32> {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = x.iter().map(|v| (v - max).exp()).collect();
    let s: f32 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

struct Run<'m> {
    model: &'m Model<'m>,
    tok: Tokenizer,
}

impl Run<'_> {
    fn max_len(&self) -> usize {
        self.model.config().max_position_embeddings as usize
    }

    fn encode(&self, a: &str, b: Option<&str>, truncation: Truncation) -> Result<Encoding, Error> {
        let opts = EncodeOptions { max_length: Some(self.max_len()), truncation, ..EncodeOptions::default() };
        let e = match b {
            Some(b) => self.tok.encode_pair(a, b, &opts),
            None => self.tok.encode(a, &opts),
        };
        e.map_err(|e| format!("tokenizer: {e}").into())
    }

    /// Runs encoder rows (all the same length) and returns the head's outputs back to back.
    fn forward(&self, rows: &[&Encoding], choices: usize) -> Result<Vec<f32>, Error> {
        let seq = rows.iter().map(|e| e.input_ids.len()).max().unwrap_or(0);
        let pad = self.tok.token_to_id(&self.tok.options().pad_token).unwrap_or(0);
        let (mut ids, mut mask, mut types) = (Vec::new(), Vec::new(), Vec::new());
        for e in rows {
            let n = e.input_ids.len();
            ids.extend_from_slice(&e.input_ids);
            ids.extend(std::iter::repeat_n(pad, seq - n));
            mask.extend_from_slice(&e.attention_mask);
            mask.extend(std::iter::repeat_n(0, seq - n));
            types.extend_from_slice(&e.token_type_ids);
            types.extend(std::iter::repeat_n(0, seq - n));
        }
        let batch = rows.len();
        let inputs = Inputs { input_ids: &ids, attention_mask: Some(&mask), token_type_ids: Some(&types), batch, seq, choices };
        self.model.validate_inputs(&inputs, 0)?;
        let mut scratch = vec![0.0; self.model.scratch_len(batch, seq, 0)];
        let mut out = vec![0.0; self.model.output_len(batch, seq, choices)];
        self.model.forward(&inputs, &mut scratch, &mut out)?;
        Ok(out)
    }

    fn token(&self, id: u32) -> &str {
        self.tok.id_to_token(id).unwrap_or("?")
    }

    fn label(&self, i: usize) -> String {
        self.model.file().labels().nth(i).map(String::from).unwrap_or_else(|| format!("LABEL_{i}"))
    }
}

pub fn run(args: Args) -> Result<(), Error> {
    let map = load::map(&args.file)?;
    let model = load::model(&args.file, &map)?;
    let tok = text::tokenizer(&args.source, Some(model.file()))?;
    let r = Run { model: &model, tok };
    let c = model.config();
    match model.head {
        Head::Base => {
            let e = r.encode(&args.text, args.pair.as_deref(), Truncation::LongestFirst)?;
            let out = r.forward(&[&e], 1)?;
            let h = c.hidden_size as usize;
            let n = e.input_ids.len() as f32;
            let pooled: Vec<f32> = (0..h).map(|d| out.chunks_exact(h).map(|row| row[d]).sum::<f32>() / n).collect();
            let shown: Vec<String> = pooled.iter().take(8).map(|v| format!("{v:.4}")).collect();
            out!("last_hidden_state [1, {}, {h}]; mean-pooled embedding: [{}, ...]", e.input_ids.len(), shown.join(", "));
        }
        Head::PreTraining => {
            let e = r.encode(&args.text, args.pair.as_deref(), Truncation::LongestFirst)?;
            let out = r.forward(&[&e], 1)?;
            out!("{:<20} {:>9} {:>10}", "token", "logit", "P(replaced)");
            for (id, logit) in e.input_ids.iter().zip(&out) {
                let mark = if *logit > 0.0 { "  <- replaced" } else { "" };
                out!("{:<20} {:>9.3} {:>10.3}{mark}", r.token(*id), logit, sigmoid(*logit));
            }
        }
        Head::MaskedLm | Head::CausalLm => {
            let e = r.encode(&args.text, args.pair.as_deref(), Truncation::LongestFirst)?;
            let out = r.forward(&[&e], 1)?;
            let v = c.vocab_size as usize;
            let mask_id = r.tok.token_to_id(&r.tok.options().mask_token);
            let positions: Vec<usize> = if model.head == Head::MaskedLm {
                let p: Vec<usize> = e.input_ids.iter().enumerate().filter(|(_, id)| Some(**id) == mask_id).map(|(i, _)| i).collect();
                if p.is_empty() {
                    return Err("the text has no [MASK] token to fill".into());
                }
                p
            } else {
                // The next token after the text (before the final [SEP]).
                vec![e.input_ids.len().saturating_sub(2)]
            };
            for p in positions {
                let probs = softmax(&out[p * v..(p + 1) * v]);
                let mut idx: Vec<usize> = (0..v).collect();
                idx.sort_by(|a, b| probs[*b].total_cmp(&probs[*a]));
                let top: Vec<String> = idx.iter().take(args.top_k).map(|&i| format!("{} ({:.3})", r.token(i as u32), probs[i])).collect();
                out!("position {p}: {}", top.join(", "));
            }
        }
        Head::SequenceClassification => {
            let e = r.encode(&args.text, args.pair.as_deref(), Truncation::LongestFirst)?;
            let out = r.forward(&[&e], 1)?;
            if out.len() == 1 {
                out!("score {:.5} (regression: raw output; sigmoid {:.4})", out[0], sigmoid(out[0]));
            } else {
                let probs = softmax(&out);
                for (i, p) in probs.iter().enumerate() {
                    out!("{:<20} {:.4}  (logit {:.4})", r.label(i), p, out[i]);
                }
            }
        }
        Head::TokenClassification => {
            let e = r.encode(&args.text, args.pair.as_deref(), Truncation::LongestFirst)?;
            let out = r.forward(&[&e], 1)?;
            let n = c.num_labels as usize;
            for (t, id) in e.input_ids.iter().enumerate() {
                let probs = softmax(&out[t * n..(t + 1) * n]);
                let best = (0..n).max_by(|a, b| probs[*a].total_cmp(&probs[*b])).unwrap_or(0);
                out!("{:<20} {:<12} {:.3}", r.token(*id), r.label(best), probs[best]);
            }
        }
        Head::MultipleChoice => {
            if args.choices.is_empty() {
                return Err("multiple choice needs --choice TEXT (repeat for each option)".into());
            }
            let encs = args
                .choices
                .iter()
                .map(|ch| r.encode(&args.text, Some(ch), Truncation::LongestFirst))
                .collect::<Result<Vec<_>, _>>()?;
            let rows: Vec<&Encoding> = encs.iter().collect();
            let out = r.forward(&rows, rows.len())?;
            let probs = softmax(&out);
            for (ch, p) in args.choices.iter().zip(&probs) {
                out!("{p:.4}  {ch}");
            }
        }
        Head::QuestionAnswering => {
            let context = args.pair.as_deref().ok_or("question answering needs --pair CONTEXT")?;
            let e = r.encode(&args.text, Some(context), Truncation::OnlySecond)?;
            let out = r.forward(&[&e], 1)?;
            let s = e.input_ids.len();
            let (start, end) = out.split_at(s);
            let in_context = |i: usize| e.sequence_ids.get(i).copied().flatten() == Some(1);
            let mut best: Option<(f32, usize, usize)> = None;
            for i in (0..s).filter(|&i| in_context(i)) {
                for j in (i..s.min(i + args.max_answer_len)).filter(|&j| in_context(j)) {
                    let score = start[i] + end[j];
                    if best.is_none_or(|b| score > b.0) {
                        best = Some((score, i, j));
                    }
                }
            }
            let (score, i, j) = best.ok_or("no context tokens to answer from")?;
            let chars: Vec<char> = context.chars().collect();
            let (a, b) = (e.offsets[i].0, e.offsets[j].1.min(chars.len()));
            let answer: String = chars[a.min(b)..b].iter().collect();
            out!("answer: {answer:?} (chars {a}..{b}, score {score:.3})");
        }
    }
    Ok(())
}
