//! `tokenizers`' `utils/truncation.rs::truncate_encodings` (direction right).

use crate::encoding::Encoding;
use crate::{Error, Truncation};

/// Truncate `a` (and `b`) so that together they hold at most `max_length` tokens (special tokens
/// already subtracted by the caller), leaving the cut windows in `overflowing`.
pub(crate) fn truncate_encodings(
    a: &mut Encoding,
    b: Option<&mut Encoding>,
    max_length: usize,
    strategy: Truncation,
    stride: usize,
) -> Result<(), Error> {
    let mut b = b;
    if max_length == 0 {
        a.truncate(0, stride)?;
        if let Some(b) = b.as_deref_mut() {
            b.truncate(0, stride)?;
        }
        return Ok(());
    }
    let total = a.len() + b.as_ref().map_or(0, |b| b.len());
    if total <= max_length {
        return Ok(());
    }
    let to_remove = total - max_length;
    match strategy {
        Truncation::LongestFirst => match b {
            Some(b) => {
                let (mut n1, mut n2) = (a.len(), b.len());
                let swap = n1 > n2;
                if swap {
                    core::mem::swap(&mut n1, &mut n2);
                }
                if n1 > max_length {
                    n2 = n1;
                } else {
                    n2 = n1.max(max_length - n1);
                }
                if n1 + n2 > max_length {
                    n1 = max_length / 2;
                    n2 = n1 + max_length % 2;
                }
                if swap {
                    core::mem::swap(&mut n1, &mut n2);
                }
                a.truncate(n1, stride)?;
                b.truncate(n2, stride)?;
            }
            None => a.truncate(total - to_remove, stride)?,
        },
        Truncation::OnlyFirst | Truncation::OnlySecond => {
            let target = if strategy == Truncation::OnlyFirst {
                a
            } else {
                match b {
                    Some(b) => b,
                    None => return Err(Error::SecondSequenceNotProvided),
                }
            };
            let len = target.len();
            if len > to_remove {
                target.truncate(len - to_remove, stride)?;
            } else {
                return Err(Error::SequenceTooShort { len, to_remove });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(n: usize) -> Encoding {
        let mut e = Encoding::default();
        for i in 0..n {
            e.push(i as u32, 0, (i, i + 1), Some(0));
        }
        e
    }

    #[test]
    fn longest_first_matches_spec_examples() {
        // Spec 7.4: 5+5 tokens, budget 5 → A2/B3; budget 7 → A3/B4.
        for (budget, la, lb) in [(5, 2, 3), (7, 3, 4)] {
            let (mut a, mut b) = (seq(5), seq(5));
            truncate_encodings(&mut a, Some(&mut b), budget, Truncation::LongestFirst, 0).unwrap();
            assert_eq!((a.len(), b.len()), (la, lb));
        }
        // Only the longer side is cut when the shorter fits.
        let (mut a, mut b) = (seq(2), seq(9));
        truncate_encodings(&mut a, Some(&mut b), 6, Truncation::LongestFirst, 0).unwrap();
        assert_eq!((a.len(), b.len()), (2, 4));
    }

    #[test]
    fn only_second_errors_when_too_short() {
        let (mut a, mut b) = (seq(8), seq(2));
        let r = truncate_encodings(&mut a, Some(&mut b), 5, Truncation::OnlySecond, 0);
        assert!(matches!(r, Err(Error::SequenceTooShort { len: 2, to_remove: 5 })));
        let mut a = seq(8);
        let r = truncate_encodings(&mut a, None, 5, Truncation::OnlySecond, 0);
        assert!(matches!(r, Err(Error::SecondSequenceNotProvided)));
    }
}
