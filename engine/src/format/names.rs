//! The tensors a model file holds, their checkpoint names, shapes and canonical order.
//!
//! Names follow transformers' head classes (`electra.encoder.layer.3.attention.self.query.weight`,
//! `discriminator_predictions.dense_prediction.bias`), so a file can be read against the
//! Hugging Face module tree without a mapping table. This is the one place names are formatted:
//! the converter writes tensors in the order `expected` yields them, and the engine checks the
//! table against the same list before it resolves weights by index.

use core::fmt::Write;

use crate::config::{Activation, Config, Head};
use crate::error::TensorName;

/// What a tensor is, which decides the dtypes it may be stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A linear layer's weight [out, in]: f32, f16 or int8 with per-row (output channel) scales.
    Matrix,
    /// An embedding table [rows, dim]: f32, f16 or int8 with per-row scales.
    Table,
    /// A bias, LayerNorm parameter, distance embedding or PReLU slope: always f32.
    Param,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbTensor {
    Word,
    Position,
    TokenType,
    LayerNormWeight,
    LayerNormBias,
    ProjectWeight,
    ProjectBias,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerTensor {
    QueryWeight,
    QueryBias,
    KeyWeight,
    KeyBias,
    ValueWeight,
    ValueBias,
    /// Per-input-channel factor applied to Q/K/V's input before int8 quantization (int8 files
    /// with activation smoothing only; the weights were divided by it column-wise).
    QkvInputScale,
    DistanceEmbedding,
    AttentionOutputWeight,
    AttentionOutputBias,
    AttentionLayerNormWeight,
    AttentionLayerNormBias,
    IntermediateWeight,
    IntermediateBias,
    /// As `QkvInputScale`, for the FFN's first linear.
    IntermediateInputScale,
    IntermediateActWeight,
    OutputWeight,
    OutputBias,
    OutputLayerNormWeight,
    OutputLayerNormBias,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadTensor {
    DiscriminatorDenseWeight,
    DiscriminatorDenseBias,
    DiscriminatorActWeight,
    DiscriminatorPredictionWeight,
    DiscriminatorPredictionBias,
    GeneratorDenseWeight,
    GeneratorDenseBias,
    GeneratorLayerNormWeight,
    GeneratorLayerNormBias,
    LmHeadWeight,
    LmHeadBias,
    ClassifierDenseWeight,
    ClassifierDenseBias,
    ClassifierOutProjWeight,
    ClassifierOutProjBias,
    SummaryWeight,
    SummaryBias,
    ClassifierWeight,
    ClassifierBias,
    QaOutputsWeight,
    QaOutputsBias,
}

/// Where a tensor belongs in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Embeddings(EmbTensor),
    Layer(u32, LayerTensor),
    Head(HeadTensor),
}

/// One expected tensor: its place, shape and role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TensorSpec {
    pub slot: Slot,
    pub rank: u8,
    pub shape: [u32; 4],
    pub role: Role,
    /// May be absent from a file (then absent in every layer alike).
    pub optional: bool,
}

impl TensorSpec {
    fn new(slot: Slot, dims: &[u32], role: Role) -> Self {
        let mut shape = [1u32; 4];
        shape[..dims.len()].copy_from_slice(dims);
        let optional = matches!(slot, Slot::Layer(_, LayerTensor::QkvInputScale | LayerTensor::IntermediateInputScale));
        TensorSpec { slot, rank: dims.len() as u8, shape, role, optional }
    }

    /// The checkpoint name, as a head class of transformers stores it.
    pub fn name(&self) -> TensorName {
        let mut n = TensorName::new("");
        // Every name is far shorter than TensorName's 127 bytes, so the writes cannot fail.
        let _ = match self.slot {
            Slot::Embeddings(t) => n.write_str(t.name()),
            Slot::Layer(i, t) => write!(n, "electra.encoder.layer.{i}.{}", t.suffix()),
            Slot::Head(t) => n.write_str(t.name()),
        };
        n
    }

    pub fn dims(&self) -> &[u32] {
        &self.shape[..self.rank as usize]
    }
}

impl EmbTensor {
    pub const ALL: [EmbTensor; 7] = [
        EmbTensor::Word,
        EmbTensor::Position,
        EmbTensor::TokenType,
        EmbTensor::LayerNormWeight,
        EmbTensor::LayerNormBias,
        EmbTensor::ProjectWeight,
        EmbTensor::ProjectBias,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EmbTensor::Word => "electra.embeddings.word_embeddings.weight",
            EmbTensor::Position => "electra.embeddings.position_embeddings.weight",
            EmbTensor::TokenType => "electra.embeddings.token_type_embeddings.weight",
            EmbTensor::LayerNormWeight => "electra.embeddings.LayerNorm.weight",
            EmbTensor::LayerNormBias => "electra.embeddings.LayerNorm.bias",
            EmbTensor::ProjectWeight => "electra.embeddings_project.weight",
            EmbTensor::ProjectBias => "electra.embeddings_project.bias",
        }
    }

    fn spec(self, c: &Config) -> Option<TensorSpec> {
        let (e, h) = (c.embedding_size, c.hidden_size);
        let (dims, role): (&[u32], Role) = match self {
            EmbTensor::Word => (&[c.vocab_size, e], Role::Table),
            EmbTensor::Position => (&[c.max_position_embeddings, e], Role::Table),
            EmbTensor::TokenType => (&[c.type_vocab_size, e], Role::Table),
            EmbTensor::LayerNormWeight | EmbTensor::LayerNormBias => (&[e], Role::Param),
            EmbTensor::ProjectWeight if c.has_embeddings_project() => (&[h, e], Role::Matrix),
            EmbTensor::ProjectBias if c.has_embeddings_project() => (&[h], Role::Param),
            EmbTensor::ProjectWeight | EmbTensor::ProjectBias => return None,
        };
        Some(TensorSpec::new(Slot::Embeddings(self), dims, role))
    }
}

impl LayerTensor {
    pub const ALL: [LayerTensor; 20] = [
        LayerTensor::QueryWeight,
        LayerTensor::QueryBias,
        LayerTensor::KeyWeight,
        LayerTensor::KeyBias,
        LayerTensor::ValueWeight,
        LayerTensor::ValueBias,
        LayerTensor::QkvInputScale,
        LayerTensor::DistanceEmbedding,
        LayerTensor::AttentionOutputWeight,
        LayerTensor::AttentionOutputBias,
        LayerTensor::AttentionLayerNormWeight,
        LayerTensor::AttentionLayerNormBias,
        LayerTensor::IntermediateWeight,
        LayerTensor::IntermediateBias,
        LayerTensor::IntermediateInputScale,
        LayerTensor::IntermediateActWeight,
        LayerTensor::OutputWeight,
        LayerTensor::OutputBias,
        LayerTensor::OutputLayerNormWeight,
        LayerTensor::OutputLayerNormBias,
    ];

    /// The name after `electra.encoder.layer.{i}.`.
    pub fn suffix(self) -> &'static str {
        match self {
            LayerTensor::QueryWeight => "attention.self.query.weight",
            LayerTensor::QueryBias => "attention.self.query.bias",
            LayerTensor::KeyWeight => "attention.self.key.weight",
            LayerTensor::KeyBias => "attention.self.key.bias",
            LayerTensor::ValueWeight => "attention.self.value.weight",
            LayerTensor::ValueBias => "attention.self.value.bias",
            LayerTensor::QkvInputScale => "attention.self.input_scale",
            LayerTensor::DistanceEmbedding => "attention.self.distance_embedding.weight",
            LayerTensor::AttentionOutputWeight => "attention.output.dense.weight",
            LayerTensor::AttentionOutputBias => "attention.output.dense.bias",
            LayerTensor::AttentionLayerNormWeight => "attention.output.LayerNorm.weight",
            LayerTensor::AttentionLayerNormBias => "attention.output.LayerNorm.bias",
            LayerTensor::IntermediateWeight => "intermediate.dense.weight",
            LayerTensor::IntermediateBias => "intermediate.dense.bias",
            LayerTensor::IntermediateInputScale => "intermediate.dense.input_scale",
            LayerTensor::IntermediateActWeight => "intermediate.intermediate_act_fn.weight",
            LayerTensor::OutputWeight => "output.dense.weight",
            LayerTensor::OutputBias => "output.dense.bias",
            LayerTensor::OutputLayerNormWeight => "output.LayerNorm.weight",
            LayerTensor::OutputLayerNormBias => "output.LayerNorm.bias",
        }
    }

    fn spec(self, layer: u32, c: &Config) -> Option<TensorSpec> {
        let (h, i) = (c.hidden_size, c.intermediate_size);
        let (dims, role): (&[u32], Role) = match self {
            LayerTensor::QueryWeight
            | LayerTensor::KeyWeight
            | LayerTensor::ValueWeight
            | LayerTensor::AttentionOutputWeight => (&[h, h], Role::Matrix),
            LayerTensor::QueryBias
            | LayerTensor::KeyBias
            | LayerTensor::ValueBias
            | LayerTensor::AttentionOutputBias
            | LayerTensor::AttentionLayerNormWeight
            | LayerTensor::AttentionLayerNormBias
            | LayerTensor::OutputBias
            | LayerTensor::OutputLayerNormWeight
            | LayerTensor::OutputLayerNormBias
            | LayerTensor::QkvInputScale
            | LayerTensor::IntermediateInputScale => (&[h], Role::Param),
            LayerTensor::DistanceEmbedding if c.is_relative() => {
                (&[2 * c.max_position_embeddings - 1, c.head_dim() as u32], Role::Param)
            }
            LayerTensor::DistanceEmbedding => return None,
            LayerTensor::IntermediateWeight => (&[i, h], Role::Matrix),
            LayerTensor::IntermediateBias => (&[i], Role::Param),
            LayerTensor::IntermediateActWeight if c.hidden_act == Activation::Prelu => (&[1], Role::Param),
            LayerTensor::IntermediateActWeight => return None,
            LayerTensor::OutputWeight => (&[h, i], Role::Matrix),
        };
        Some(TensorSpec::new(Slot::Layer(layer, self), dims, role))
    }
}

impl HeadTensor {
    pub fn name(self) -> &'static str {
        match self {
            HeadTensor::DiscriminatorDenseWeight => "discriminator_predictions.dense.weight",
            HeadTensor::DiscriminatorDenseBias => "discriminator_predictions.dense.bias",
            HeadTensor::DiscriminatorActWeight => "discriminator_predictions.activation.weight",
            HeadTensor::DiscriminatorPredictionWeight => "discriminator_predictions.dense_prediction.weight",
            HeadTensor::DiscriminatorPredictionBias => "discriminator_predictions.dense_prediction.bias",
            HeadTensor::GeneratorDenseWeight => "generator_predictions.dense.weight",
            HeadTensor::GeneratorDenseBias => "generator_predictions.dense.bias",
            HeadTensor::GeneratorLayerNormWeight => "generator_predictions.LayerNorm.weight",
            HeadTensor::GeneratorLayerNormBias => "generator_predictions.LayerNorm.bias",
            HeadTensor::LmHeadWeight => "generator_lm_head.weight",
            HeadTensor::LmHeadBias => "generator_lm_head.bias",
            HeadTensor::ClassifierDenseWeight => "classifier.dense.weight",
            HeadTensor::ClassifierDenseBias => "classifier.dense.bias",
            HeadTensor::ClassifierOutProjWeight => "classifier.out_proj.weight",
            HeadTensor::ClassifierOutProjBias => "classifier.out_proj.bias",
            HeadTensor::SummaryWeight => "sequence_summary.summary.weight",
            HeadTensor::SummaryBias => "sequence_summary.summary.bias",
            HeadTensor::ClassifierWeight => "classifier.weight",
            HeadTensor::ClassifierBias => "classifier.bias",
            HeadTensor::QaOutputsWeight => "qa_outputs.weight",
            HeadTensor::QaOutputsBias => "qa_outputs.bias",
        }
    }

    /// The head's tensors in canonical order (before filtering by config).
    pub fn of(head: Head) -> &'static [HeadTensor] {
        use HeadTensor::*;
        match head {
            Head::Base => &[],
            Head::PreTraining => &[
                DiscriminatorDenseWeight,
                DiscriminatorDenseBias,
                DiscriminatorActWeight,
                DiscriminatorPredictionWeight,
                DiscriminatorPredictionBias,
            ],
            Head::MaskedLm | Head::CausalLm => &[
                GeneratorDenseWeight,
                GeneratorDenseBias,
                GeneratorLayerNormWeight,
                GeneratorLayerNormBias,
                LmHeadWeight,
                LmHeadBias,
            ],
            Head::SequenceClassification => {
                &[ClassifierDenseWeight, ClassifierDenseBias, ClassifierOutProjWeight, ClassifierOutProjBias]
            }
            Head::MultipleChoice => &[SummaryWeight, SummaryBias, ClassifierWeight, ClassifierBias],
            Head::TokenClassification => &[ClassifierWeight, ClassifierBias],
            Head::QuestionAnswering => &[QaOutputsWeight, QaOutputsBias],
        }
    }

    fn spec(self, head: Head, c: &Config, lm_head_tied: bool) -> Option<TensorSpec> {
        use HeadTensor::*;
        let (e, h, n, v) = (c.embedding_size, c.hidden_size, c.num_labels, c.vocab_size);
        let (dims, role): (&[u32], Role) = match self {
            DiscriminatorDenseWeight | ClassifierDenseWeight => (&[h, h], Role::Matrix),
            DiscriminatorDenseBias | ClassifierDenseBias => (&[h], Role::Param),
            DiscriminatorActWeight if c.hidden_act == Activation::Prelu => (&[1], Role::Param),
            DiscriminatorActWeight => return None,
            DiscriminatorPredictionWeight => (&[1, h], Role::Matrix),
            DiscriminatorPredictionBias => (&[1], Role::Param),
            GeneratorDenseWeight => (&[e, h], Role::Matrix),
            GeneratorDenseBias | GeneratorLayerNormWeight | GeneratorLayerNormBias => (&[e], Role::Param),
            LmHeadWeight if !lm_head_tied => (&[v, e], Role::Matrix),
            LmHeadWeight => return None,
            LmHeadBias => (&[v], Role::Param),
            ClassifierOutProjWeight => (&[n, h], Role::Matrix),
            ClassifierOutProjBias => (&[n], Role::Param),
            SummaryWeight if c.summary_use_proj => (&[h, h], Role::Matrix),
            SummaryBias if c.summary_use_proj => (&[h], Role::Param),
            SummaryWeight | SummaryBias => return None,
            ClassifierWeight if head == Head::MultipleChoice => (&[1, h], Role::Matrix),
            ClassifierBias if head == Head::MultipleChoice => (&[1], Role::Param),
            ClassifierWeight | QaOutputsWeight => (&[n, h], Role::Matrix),
            ClassifierBias | QaOutputsBias => (&[n], Role::Param),
        };
        Some(TensorSpec::new(Slot::Head(self), dims, role))
    }
}

/// Every tensor a model of this config and head holds, in file order: embeddings, then each
/// layer, then the head.
pub fn expected(config: &Config, head: Head, lm_head_tied: bool) -> impl Iterator<Item = TensorSpec> + '_ {
    let emb = EmbTensor::ALL.into_iter().filter_map(move |t| t.spec(config));
    let layers = (0..config.num_hidden_layers)
        .flat_map(move |i| LayerTensor::ALL.into_iter().filter_map(move |t| t.spec(i, config)));
    let head_tensors = HeadTensor::of(head).iter().filter_map(move |t| t.spec(head, config, lm_head_tied));
    emb.chain(layers).chain(head_tensors)
}

