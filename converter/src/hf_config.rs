//! Reading a Hugging Face `config.json` (ELECTRA or BERT) into the engine's resolved `Config`,
//! with transformers' defaults for every missing field (spec §2).

use electra_engine::config::{Activation, Config, Head, PositionEmbeddingType, SummaryType};
use serde_json::{Map, Value};

use crate::ConvertError;

/// What config.json says beyond the engine config: model family, architectures, labels.
#[derive(Debug, Clone)]
pub struct HfConfig {
    pub config: Config,
    /// `bert` checkpoints load as an ElectraModel with embedding_size == hidden_size.
    pub is_bert: bool,
    pub architectures: Vec<String>,
    /// `id2label` names in id order (empty when absent).
    pub labels: Vec<String>,
    pub tie_word_embeddings: bool,
}

fn bad(field: &str, reason: impl Into<String>) -> ConvertError {
    ConvertError::Config { field: field.to_string(), reason: reason.into() }
}

fn get_u32(m: &Map<String, Value>, key: &str, default: u32) -> Result<u32, ConvertError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_u64()
            .and_then(|x| u32::try_from(x).ok())
            .ok_or_else(|| bad(key, format!("must be a non-negative integer, found {v}"))),
    }
}

fn get_bool(m: &Map<String, Value>, key: &str, default: bool) -> Result<bool, ConvertError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(bad(key, format!("must be true or false, found {v}"))),
    }
}

fn activation(key: &str, name: &str) -> Result<Activation, ConvertError> {
    Activation::from_hf_name(name).ok_or_else(|| bad(key, format!("unknown activation \"{name}\"")))
}

impl HfConfig {
    pub fn parse(json: &str) -> Result<Self, ConvertError> {
        let v: Value = serde_json::from_str(json).map_err(|e| ConvertError::Json { file: "config.json".into(), source: e })?;
        let m = v.as_object().ok_or_else(|| bad("config.json", "is not a JSON object"))?;
        let model_type = m.get("model_type").and_then(Value::as_str).unwrap_or("electra");
        let is_bert = match model_type {
            "electra" => false,
            "bert" => true,
            other => return Err(bad("model_type", format!("\"{other}\" is not an ELECTRA or BERT checkpoint"))),
        };
        // BERT defaults differ from ELECTRA's (bert-base sizes); neither family matters when the
        // field is present, which it always is in a saved config.
        let hidden_size = get_u32(m, "hidden_size", if is_bert { 768 } else { 256 })?;
        let embedding_size = if is_bert {
            if m.contains_key("embedding_size") {
                return Err(bad("embedding_size", "a BERT config has no embedding_size"));
            }
            hidden_size
        } else {
            get_u32(m, "embedding_size", 128)?
        };
        let hidden_act = match m.get("hidden_act") {
            None | Some(Value::Null) => Activation::Gelu,
            Some(Value::String(s)) => activation("hidden_act", s)?,
            Some(v) => return Err(bad("hidden_act", format!("must be a string, found {v}"))),
        };
        let position_embedding_type = match m.get("position_embedding_type").and_then(Value::as_str) {
            None | Some("absolute") => PositionEmbeddingType::Absolute,
            Some("relative_key") => PositionEmbeddingType::RelativeKey,
            Some("relative_key_query") => PositionEmbeddingType::RelativeKeyQuery,
            Some(other) => return Err(bad("position_embedding_type", format!("unknown value \"{other}\""))),
        };
        let summary_type = match m.get("summary_type").and_then(Value::as_str) {
            None | Some("first") => SummaryType::First,
            Some("last") => SummaryType::Last,
            Some("mean") => SummaryType::Mean,
            Some("cls_index") => SummaryType::ClsIndex,
            Some(other) => return Err(bad("summary_type", format!("\"{other}\" is not supported (transformers raises too)"))),
        };
        // A falsy summary_activation (null, "", absent-but-null) is identity; absent is gelu.
        let summary_activation = match m.get("summary_activation") {
            None => Some(Activation::Gelu),
            Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(activation("summary_activation", s)?),
            Some(Value::Bool(false)) => None,
            Some(v) => return Err(bad("summary_activation", format!("must be a string or null, found {v}"))),
        };
        if summary_activation == Some(Activation::Prelu) {
            return Err(bad("summary_activation", "prelu (a learned summary activation) is not supported"));
        }
        if get_bool(m, "summary_proj_to_labels", false)? {
            return Err(bad("summary_proj_to_labels", "true breaks ElectraForMultipleChoice's classifier shape"));
        }
        if get_bool(m, "add_cross_attention", false)? {
            return Err(bad("add_cross_attention", "cross-attention needs encoder hidden states, which this engine does not take"));
        }
        let mut labels = Vec::new();
        if let Some(Value::Object(id2label)) = m.get("id2label") {
            let mut pairs = Vec::with_capacity(id2label.len());
            for (k, v) in id2label {
                let id: usize = k.parse().map_err(|_| bad("id2label", format!("key \"{k}\" is not an integer")))?;
                let name = v.as_str().ok_or_else(|| bad("id2label", format!("value for {k} is not a string")))?;
                pairs.push((id, name.to_string()));
            }
            pairs.sort();
            if pairs.iter().enumerate().any(|(i, (id, _))| *id != i) {
                return Err(bad("id2label", "ids must be exactly 0..n"));
            }
            labels = pairs.into_iter().map(|(_, n)| n).collect();
        }
        let num_labels = if labels.is_empty() {
            get_u32(m, "num_labels", get_u32(m, "_num_labels", 2)?)?
        } else {
            labels.len() as u32
        };
        let layer_norm_eps = match m.get("layer_norm_eps") {
            None | Some(Value::Null) => 1e-12,
            Some(v) => v.as_f64().ok_or_else(|| bad("layer_norm_eps", "must be a number"))?,
        };
        let config = Config {
            vocab_size: get_u32(m, "vocab_size", 30522)?,
            embedding_size,
            hidden_size,
            num_hidden_layers: get_u32(m, "num_hidden_layers", 12)?,
            num_attention_heads: get_u32(m, "num_attention_heads", if is_bert { 12 } else { 4 })?,
            intermediate_size: get_u32(m, "intermediate_size", if is_bert { 3072 } else { 1024 })?,
            hidden_act,
            max_position_embeddings: get_u32(m, "max_position_embeddings", 512)?,
            type_vocab_size: get_u32(m, "type_vocab_size", 2)?,
            layer_norm_eps,
            position_embedding_type,
            is_decoder: get_bool(m, "is_decoder", false)?,
            num_labels,
            summary_type,
            summary_use_proj: get_bool(m, "summary_use_proj", true)?,
            summary_activation,
            pad_token_id: get_u32(m, "pad_token_id", 0)?,
        };
        let architectures = match m.get("architectures") {
            Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(String::from)).collect(),
            _ => Vec::new(),
        };
        Ok(HfConfig {
            config,
            is_bert,
            architectures,
            labels,
            tie_word_embeddings: get_bool(m, "tie_word_embeddings", true)?,
        })
    }

    /// The head to build: `--head` wins; else the first architecture; BERT checkpoints and configs
    /// without architectures run as the base model.
    pub fn choose_head(&self, requested: Option<Head>) -> Result<Head, ConvertError> {
        if let Some(h) = requested {
            return Ok(h);
        }
        if self.is_bert {
            return Ok(Head::Base);
        }
        match self.architectures.first() {
            None => Ok(Head::Base),
            Some(a) => Head::from_hf_class(a).ok_or_else(|| {
                bad("architectures", format!("\"{a}\" is not an ELECTRA model class; pass --head to choose one"))
            }),
        }
    }
}
