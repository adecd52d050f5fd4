//! [`Encoding`] and the post-processing steps that operate on it, ported from `tokenizers`
//! (`tokenizer/encoding.rs`, `processors/template.rs`): windowed truncation with stride,
//! merging (including the cross product of overflowing windows), template processing and
//! right padding.

use crate::Error;
use alloc::vec;
use alloc::vec::Vec;

/// The result of encoding one sequence or a pair.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Encoding {
    /// Token ids.
    pub input_ids: Vec<u32>,
    /// 0 for `[CLS] A [SEP]`, 1 for `B [SEP]`; 0 for padding.
    pub token_type_ids: Vec<u32>,
    /// 1 for real tokens, 0 for padding.
    pub attention_mask: Vec<u32>,
    /// `[start, end)` in chars (Unicode scalar values) of the original text of the sequence the
    /// token comes from; `(0, 0)` for special and padding tokens.
    pub offsets: Vec<(usize, usize)>,
    /// `Some(0)` / `Some(1)` for tokens of the first / second sequence, `None` for special and
    /// padding tokens.
    pub sequence_ids: Vec<Option<u8>>,
    /// Further windows produced by truncation, exactly as `tokenizers` nests them (for
    /// `longest_first` pairs where both sequences overflow, a window can itself carry windows).
    pub overflowing: Vec<Encoding>,
}

impl Encoding {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.input_ids.len()
    }

    /// True when there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.input_ids.is_empty()
    }

    /// Number of windows: this encoding plus, recursively, all overflowing ones.
    pub fn n_windows(&self) -> usize {
        1 + self.overflowing.iter().map(Encoding::n_windows).sum::<usize>()
    }

    pub(crate) fn with_capacity(n: usize) -> Self {
        Encoding {
            input_ids: Vec::with_capacity(n),
            token_type_ids: Vec::with_capacity(n),
            attention_mask: Vec::with_capacity(n),
            offsets: Vec::with_capacity(n),
            sequence_ids: Vec::with_capacity(n),
            overflowing: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, id: u32, type_id: u32, offsets: (usize, usize), seq: Option<u8>) {
        self.input_ids.push(id);
        self.token_type_ids.push(type_id);
        self.attention_mask.push(1);
        self.offsets.push(offsets);
        self.sequence_ids.push(seq);
    }

    fn range(&self, start: usize, stop: usize) -> Encoding {
        Encoding {
            input_ids: self.input_ids[start..stop].to_vec(),
            token_type_ids: self.token_type_ids[start..stop].to_vec(),
            attention_mask: self.attention_mask[start..stop].to_vec(),
            offsets: self.offsets[start..stop].to_vec(),
            sequence_ids: self.sequence_ids[start..stop].to_vec(),
            overflowing: Vec::new(),
        }
    }

    /// `Encoding::truncate` (direction right). `tokenizers` panics when `stride >= max_len`; we
    /// return [`Error::StrideTooLarge`] at the same point.
    pub(crate) fn truncate(&mut self, max_len: usize, stride: usize) -> Result<(), Error> {
        let len = self.len();
        if max_len >= len {
            return Ok(());
        }
        if max_len == 0 {
            let o = core::mem::take(self);
            self.overflowing.push(o);
            return Ok(());
        }
        if stride >= max_len {
            return Err(Error::StrideTooLarge { stride, max_len });
        }
        let step = max_len - stride;
        let mut parts = Vec::new();
        let mut start = 0;
        loop {
            let stop = (start + max_len).min(len);
            parts.push((start, stop));
            if stop == len {
                break;
            }
            start += step;
        }
        let mut new = self.range(parts[0].0, parts[0].1);
        for &(s, e) in &parts[1..] {
            new.overflowing.push(self.range(s, e));
        }
        *self = new;
        Ok(())
    }

    /// `Encoding::merge_with` with `growing_offsets = false`.
    pub(crate) fn merge_with(&mut self, pair: Encoding) {
        let mut overflowings = Vec::new();
        for self_o in &self.overflowing {
            let mut n = self_o.clone();
            n.merge_with(pair.clone());
            overflowings.push(n);
            for other_o in &pair.overflowing {
                let mut n = self_o.clone();
                n.merge_with(other_o.clone());
                overflowings.push(n);
            }
        }
        for other_o in &pair.overflowing {
            let mut n = self.clone();
            n.merge_with(other_o.clone());
            overflowings.push(n);
        }
        self.input_ids.extend(pair.input_ids);
        self.token_type_ids.extend(pair.token_type_ids);
        self.attention_mask.extend(pair.attention_mask);
        self.offsets.extend(pair.offsets);
        self.sequence_ids.extend(pair.sequence_ids);
        self.overflowing = overflowings;
    }

    /// `Encoding::pad`, direction right: overflowing windows first, then self.
    pub(crate) fn pad(&mut self, target: usize, pad_id: u32, pad_type_id: u32) {
        for o in &mut self.overflowing {
            o.pad(target, pad_id, pad_type_id);
        }
        let len = self.len();
        if len >= target {
            return;
        }
        let n = target - len;
        self.input_ids.extend(core::iter::repeat_n(pad_id, n));
        self.token_type_ids.extend(core::iter::repeat_n(pad_type_id, n));
        self.attention_mask.extend(core::iter::repeat_n(0, n));
        self.offsets.extend(core::iter::repeat_n((0, 0), n));
        self.sequence_ids.extend(core::iter::repeat_n(None, n));
    }

    fn set_type_ids(&mut self, type_id: u32) {
        for t in &mut self.token_type_ids {
            *t = type_id;
        }
    }
}

/// One piece of a post-processing template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Sequence A (`false`) or B (`true`).
    Sequence { second: bool, type_id: u32 },
    /// Special token ids.
    Special { ids: Vec<u32>, type_id: u32 },
}

/// `TemplateProcessing` (BertProcessing is converted to the equivalent template).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    pub single: Vec<Piece>,
    pub pair: Vec<Piece>,
}

impl Template {
    pub fn bert(cls: u32, sep: u32) -> Self {
        Template {
            single: vec![
                Piece::Special { ids: vec![cls], type_id: 0 },
                Piece::Sequence { second: false, type_id: 0 },
                Piece::Special { ids: vec![sep], type_id: 0 },
            ],
            pair: vec![
                Piece::Special { ids: vec![cls], type_id: 0 },
                Piece::Sequence { second: false, type_id: 0 },
                Piece::Special { ids: vec![sep], type_id: 0 },
                Piece::Sequence { second: true, type_id: 1 },
                Piece::Special { ids: vec![sep], type_id: 1 },
            ],
        }
    }

    /// Number of special tokens the template adds.
    pub fn added_tokens(&self, is_pair: bool) -> usize {
        let t = if is_pair { &self.pair } else { &self.single };
        t.iter()
            .map(|p| match p {
                Piece::Special { ids, .. } => ids.len(),
                Piece::Sequence { .. } => 0,
            })
            .sum()
    }

    /// `TemplateProcessing::apply_template` followed by `Encoding::merge`.
    pub fn apply(&self, mut a: Encoding, mut b: Option<Encoding>, add_special_tokens: bool) -> Encoding {
        let template = if b.is_some() { &self.pair } else { &self.single };
        let mut result: Option<Encoding> = None;
        for piece in template {
            let enc = match piece {
                Piece::Sequence { second, type_id } => {
                    let target = if *second { b.as_mut() } else { Some(&mut a) };
                    match target {
                        Some(e) => {
                            e.set_type_ids(*type_id);
                            e.clone()
                        }
                        None => continue,
                    }
                }
                Piece::Special { ids, type_id } => {
                    if !add_special_tokens {
                        continue;
                    }
                    let mut e = Encoding::with_capacity(ids.len());
                    for &id in ids {
                        e.push(id, *type_id, (0, 0), None);
                    }
                    e
                }
            };
            match result.as_mut() {
                None => result = Some(enc),
                Some(r) => r.merge_with(enc),
            }
        }
        result.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(ids: &[u32], type_id: u32, seq: u8) -> Encoding {
        let mut e = Encoding::default();
        for (i, &id) in ids.iter().enumerate() {
            e.push(id, type_id, (i, i + 1), Some(seq));
        }
        e
    }

    #[test]
    fn truncate_makes_stride_windows() {
        let mut e = seq(&[1, 2, 3, 4, 5], 0, 0);
        e.truncate(2, 1).unwrap();
        assert_eq!(e.input_ids, [1, 2]);
        let w: Vec<_> = e.overflowing.iter().map(|o| o.input_ids.clone()).collect();
        assert_eq!(w, [vec![2, 3], vec![3, 4], vec![4, 5]]);
        let mut e = seq(&[1, 2, 3], 0, 0);
        assert!(matches!(e.truncate(2, 2), Err(Error::StrideTooLarge { .. })));
        let mut e = seq(&[1, 2, 3], 0, 0);
        e.truncate(0, 5).unwrap();
        assert!(e.is_empty());
        assert_eq!(e.overflowing[0].input_ids, [1, 2, 3]);
    }

    #[test]
    fn template_pair_with_overflow() {
        let t = Template::bert(101, 102);
        let a = seq(&[7], 0, 0);
        let mut b = seq(&[8, 9, 10], 1, 1);
        b.truncate(2, 1).unwrap();
        let e = t.apply(a, Some(b), true);
        assert_eq!(e.input_ids, [101, 7, 102, 8, 9, 102]);
        assert_eq!(e.token_type_ids, [0, 0, 0, 1, 1, 1]);
        assert_eq!(e.sequence_ids, [None, Some(0), None, Some(1), Some(1), None]);
        assert_eq!(e.overflowing.len(), 1);
        assert_eq!(e.overflowing[0].input_ids, [101, 7, 102, 9, 10, 102]);
    }

    #[test]
    fn padding_is_right_and_recursive() {
        let t = Template::bert(101, 102);
        let mut a = seq(&[5, 6, 7], 0, 0);
        a.truncate(2, 0).unwrap();
        let mut e = t.apply(a, None, true);
        e.pad(6, 0, 0);
        assert_eq!(e.input_ids, [101, 5, 6, 102, 0, 0]);
        assert_eq!(e.attention_mask, [1, 1, 1, 1, 0, 0]);
        assert_eq!(e.overflowing[0].input_ids, [101, 7, 102, 0, 0, 0]);
        assert_eq!(e.n_windows(), 2);
    }
}
