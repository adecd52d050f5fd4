//! The model configuration stored in a model file: every `ElectraConfig` field that changes the
//! forward pass (spec §2), already resolved by the converter (defaults applied, `num_labels` derived
//! from `id2label`, the head chosen).

use serde::{Deserialize, Serialize};

use crate::Error;

/// Activation functions of transformers' `ACT2CLS` (spec §1.1), by their config string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// `gelu`, `gelu_python`: `0.5·x·(1+erf(x/√2))`.
    Gelu,
    /// `gelu_new`, `gelu_accurate`, `gelu_pytorch_tanh`, `gelu_python_tanh`: the tanh approximation.
    GeluTanh,
    /// `gelu_fast`: `0.5·x·(1+tanh(x·0.7978845608·(1+0.044715·x²)))`.
    GeluFast,
    /// `quick_gelu`: `x·sigmoid(1.702·x)`.
    QuickGelu,
    /// `gelu_10`: `clip(gelu(x), -10, 10)`.
    Gelu10,
    Relu,
    /// `relu2`: `relu(x)²`.
    Relu2,
    Relu6,
    /// `silu`, `swish`: `x·sigmoid(x)`.
    Silu,
    Tanh,
    Sigmoid,
    /// `linear`: identity.
    Identity,
    /// `leaky_relu` with slope 0.01.
    LeakyRelu,
    Hardswish,
    /// `mish`: `x·tanh(softplus(x))`.
    Mish,
    /// `laplace`: `0.5·(1+erf((x-0.707107)/(0.282095·√2)))`.
    Laplace,
    /// `sqrtsoftplus`: `sqrt(softplus(x))`.
    SqrtSoftplus,
    /// `prelu`: `max(0,x) + a·min(0,x)` with a learned scalar `a` stored as a tensor.
    Prelu,
}

impl Activation {
    /// Maps a transformers config string to an activation; `None` for an unknown one.
    pub fn from_hf_name(name: &str) -> Option<Self> {
        Some(match name {
            "gelu" | "gelu_python" => Self::Gelu,
            "gelu_new" | "gelu_accurate" | "gelu_pytorch_tanh" | "gelu_python_tanh" => Self::GeluTanh,
            "gelu_fast" => Self::GeluFast,
            "quick_gelu" => Self::QuickGelu,
            "gelu_10" => Self::Gelu10,
            "relu" => Self::Relu,
            "relu2" => Self::Relu2,
            "relu6" => Self::Relu6,
            "silu" | "swish" => Self::Silu,
            "tanh" => Self::Tanh,
            "sigmoid" => Self::Sigmoid,
            "linear" => Self::Identity,
            "leaky_relu" => Self::LeakyRelu,
            "hardswish" => Self::Hardswish,
            "mish" => Self::Mish,
            "laplace" => Self::Laplace,
            "sqrtsoftplus" => Self::SqrtSoftplus,
            "prelu" => Self::Prelu,
            _ => return None,
        })
    }
}

/// How positions enter attention (spec §4.5; the relative kinds are transformers 4.x semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PositionEmbeddingType {
    Absolute,
    RelativeKey,
    RelativeKeyQuery,
}

/// `summary_type` of `ElectraForMultipleChoice` (spec §5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SummaryType {
    First,
    Last,
    Mean,
    /// `cls_index`: the forward never passes an index, so it is the last position.
    ClsIndex,
}

/// The model class a file runs (transformers' `architectures`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Head {
    /// `ElectraModel`: `last_hidden_state`.
    Base,
    /// `ElectraForPreTraining` (discriminator): `logits` [B,S].
    PreTraining,
    /// `ElectraForMaskedLM` (generator): `logits` [B,S,V].
    MaskedLm,
    /// `ElectraForCausalLM`: `logits` [B,S,V], causal when `is_decoder`.
    CausalLm,
    /// `ElectraForSequenceClassification`: `logits` [B,N].
    SequenceClassification,
    /// `ElectraForMultipleChoice`: `logits` [B,C] from inputs [B,C,S].
    MultipleChoice,
    /// `ElectraForTokenClassification`: `logits` [B,S,N].
    TokenClassification,
    /// `ElectraForQuestionAnswering`: `start_logits`, `end_logits` [B,S].
    QuestionAnswering,
}

impl Head {
    pub const ALL: [Head; 8] = [
        Head::Base,
        Head::PreTraining,
        Head::MaskedLm,
        Head::CausalLm,
        Head::SequenceClassification,
        Head::MultipleChoice,
        Head::TokenClassification,
        Head::QuestionAnswering,
    ];

    /// The short name used on the command line (`--head NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Head::Base => "base",
            Head::PreTraining => "pretraining",
            Head::MaskedLm => "masked_lm",
            Head::CausalLm => "causal_lm",
            Head::SequenceClassification => "sequence_classification",
            Head::MultipleChoice => "multiple_choice",
            Head::TokenClassification => "token_classification",
            Head::QuestionAnswering => "question_answering",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.name() == name)
    }

    /// The transformers class this head reproduces.
    pub fn hf_class(self) -> &'static str {
        match self {
            Head::Base => "ElectraModel",
            Head::PreTraining => "ElectraForPreTraining",
            Head::MaskedLm => "ElectraForMaskedLM",
            Head::CausalLm => "ElectraForCausalLM",
            Head::SequenceClassification => "ElectraForSequenceClassification",
            Head::MultipleChoice => "ElectraForMultipleChoice",
            Head::TokenClassification => "ElectraForTokenClassification",
            Head::QuestionAnswering => "ElectraForQuestionAnswering",
        }
    }

    /// Maps a transformers architecture name (ELECTRA or BERT) to a head.
    pub fn from_hf_class(class: &str) -> Option<Self> {
        Some(match class {
            "ElectraModel" | "BertModel" => Head::Base,
            "ElectraForPreTraining" => Head::PreTraining,
            "ElectraForMaskedLM" => Head::MaskedLm,
            "ElectraForCausalLM" => Head::CausalLm,
            "ElectraForSequenceClassification" => Head::SequenceClassification,
            "ElectraForMultipleChoice" => Head::MultipleChoice,
            "ElectraForTokenClassification" => Head::TokenClassification,
            "ElectraForQuestionAnswering" => Head::QuestionAnswering,
            _ => return None,
        })
    }
}

/// The resolved configuration. Sizes are `u32` so the header is the same on every target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub vocab_size: u32,
    pub embedding_size: u32,
    pub hidden_size: u32,
    pub num_hidden_layers: u32,
    pub num_attention_heads: u32,
    pub intermediate_size: u32,
    pub hidden_act: Activation,
    pub max_position_embeddings: u32,
    pub type_vocab_size: u32,
    pub layer_norm_eps: f64,
    pub position_embedding_type: PositionEmbeddingType,
    pub is_decoder: bool,
    /// Output width of sequence/token classification and question answering.
    pub num_labels: u32,
    pub summary_type: SummaryType,
    pub summary_use_proj: bool,
    /// `None` is identity (a falsy `summary_activation`).
    pub summary_activation: Option<Activation>,
    pub pad_token_id: u32,
}

impl Config {
    /// `embeddings_project` exists iff `embedding_size != hidden_size`.
    pub fn has_embeddings_project(&self) -> bool {
        self.embedding_size != self.hidden_size
    }

    pub fn head_dim(&self) -> usize {
        (self.hidden_size / self.num_attention_heads.max(1)) as usize
    }

    pub fn is_relative(&self) -> bool {
        self.position_embedding_type != PositionEmbeddingType::Absolute
    }

    /// Rejects configurations the forward pass cannot run (zero sizes, heads not dividing hidden,
    /// sizes whose products overflow). Called by both converter and engine, so a hand-edited header
    /// is refused with an error instead of causing a panic later.
    pub fn validate(&self, head: Head) -> Result<(), Error> {
        let nonzero = [
            ("vocab_size", self.vocab_size),
            ("embedding_size", self.embedding_size),
            ("hidden_size", self.hidden_size),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
            ("type_vocab_size", self.type_vocab_size),
        ];
        for (name, v) in nonzero {
            if v == 0 {
                return Err(Error::Config { field: name, reason: "must be positive" });
            }
        }
        // Keep every product of two sizes far below usize::MAX on 32-bit targets too.
        let limit = 1u32 << 24;
        for (name, v) in nonzero.iter().chain([("num_hidden_layers", self.num_hidden_layers)].iter()) {
            if *v > limit {
                return Err(Error::Config { field: name, reason: "is unreasonably large" });
            }
        }
        // int8 GEMMs accumulate k products of at most 127·127 in i32: exact while k < 2^17.
        let k_limit = 1u32 << 16;
        for (name, v) in [
            ("embedding_size", self.embedding_size),
            ("hidden_size", self.hidden_size),
            ("intermediate_size", self.intermediate_size),
        ] {
            if v > k_limit {
                return Err(Error::Config { field: name, reason: "exceeds 65536 (int8 accumulation limit)" });
            }
        }
        if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Err(Error::Config {
                field: "num_attention_heads",
                reason: "must divide hidden_size",
            });
        }
        if !(self.layer_norm_eps.is_finite() && self.layer_norm_eps >= 0.0) {
            return Err(Error::Config { field: "layer_norm_eps", reason: "must be a finite non-negative number" });
        }
        if matches!(head, Head::SequenceClassification | Head::TokenClassification) && self.num_labels == 0 {
            return Err(Error::Config { field: "num_labels", reason: "must be positive" });
        }
        if head == Head::QuestionAnswering && self.num_labels != 2 {
            return Err(Error::Config {
                field: "num_labels",
                reason: "must be 2 for question answering (start and end)",
            });
        }
        Ok(())
    }
}
