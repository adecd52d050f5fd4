//! Key/value cache for incremental causal decoding (`is_decoder`), on caller-owned memory.
//!
//! Layout of the f32 buffer: `[layer][k|v][batch][capacity][hidden]`, then the attention mask of
//! every cached position, `[batch][capacity]` as 0.0 / 1.0.

use super::Inputs;
use crate::config::Config;
use crate::Error;

pub struct KvCache<'c> {
    data: &'c mut [f32],
    layers: usize,
    batch: usize,
    capacity: usize,
    hidden: usize,
    len: usize,
}

impl<'c> KvCache<'c> {
    /// f32s needed for `batch` rows of up to `capacity` positions.
    pub fn required_len(config: &Config, batch: usize, capacity: usize) -> usize {
        let per = batch.saturating_mul(capacity);
        per.saturating_mul(config.hidden_size as usize)
            .saturating_mul(2)
            .saturating_mul(config.num_hidden_layers as usize)
            .saturating_add(per)
    }

    pub fn new(buf: &'c mut [f32], config: &Config, batch: usize, capacity: usize) -> Result<Self, Error> {
        let needed = Self::required_len(config, batch, capacity);
        if buf.len() < needed {
            return Err(Error::ScratchTooSmall { needed, given: buf.len() });
        }
        Ok(KvCache {
            data: &mut buf[..needed],
            layers: config.num_hidden_layers as usize,
            batch,
            capacity,
            hidden: config.hidden_size as usize,
            len: 0,
        })
    }

    /// Positions cached so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets every cached position.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    pub(crate) fn check(&mut self, config: &Config, batch: usize, seq: usize) -> Result<(), Error> {
        if !config.is_decoder {
            return Err(Error::Unsupported("a decoder model (is_decoder = true) for cached decoding"));
        }
        if batch != self.batch {
            return Err(Error::InputShape("batch differs from the KV cache's batch"));
        }
        if self.len.saturating_add(seq) > self.capacity {
            return Err(Error::InputShape("KV cache is full"));
        }
        Ok(())
    }

    fn layer_len(&self) -> usize {
        self.batch * self.capacity * self.hidden
    }

    /// Stores the new tokens' mask bits (called before the encoder runs).
    pub(crate) fn stage_mask(&mut self, inputs: &Inputs<'_>) {
        let base = 2 * self.layers * self.layer_len();
        for b in 0..self.batch {
            for s in 0..inputs.seq {
                let m = inputs.attention_mask.map_or(1, |m| m[b * inputs.seq + s]);
                self.data[base + b * self.capacity + self.len + s] = if m != 0 { 1.0 } else { 0.0 };
            }
        }
    }

    /// Makes the staged positions part of the cache.
    pub(crate) fn advance(&mut self, seq: usize) {
        self.len += seq;
    }

    /// (keys, values, mask) of one layer: keys/values `[batch][capacity][hidden]`, mask
    /// `[batch][capacity]`.
    pub(crate) fn layer_mut(&mut self, layer: usize) -> (&mut [f32], &mut [f32], &[f32]) {
        let ll = self.layer_len();
        let (kv, mask) = self.data.split_at_mut(2 * self.layers * ll);
        let (k, v) = kv[2 * layer * ll..2 * (layer + 1) * ll].split_at_mut(ll);
        (k, v, mask)
    }
}
