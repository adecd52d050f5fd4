//! The model file: one flat little-endian file read in place (docs/file-format.md, byte by byte).
//!
//! ```text
//! 0      preamble (64 bytes): magic, version, section offsets, two CRC-32s
//! 64     header: postcard-encoded `Header` (config, head, labels, tokenizer settings, name pool)
//! ...    zero padding to a multiple of 64
//! T      tensor table: `table_count` × 64-byte `TensorRecord`
//! ...    zero padding to a multiple of 64
//! D      data: every tensor's bytes, each region 64-byte aligned
//! ```
//! `ModelFile::parse` checks every offset, size, alignment and dtype with checked arithmetic, so no
//! sequence of bytes makes the engine panic or read out of bounds: a lie is a typed `Error`.

pub mod names;
#[cfg(feature = "alloc")]
pub mod write;

use bytemuck::{Pod, Zeroable};
use serde::{Deserialize, Serialize};

use crate::config::{Config, Head};
use crate::Error;

/// The 8 magic bytes that open every model file.
pub const MAGIC: [u8; 8] = *b"ELECTRA\x1a";
/// Bumped on any change to the layout; the engine reads exactly this version.
pub const FORMAT_VERSION: u32 = 2;
/// Alignment of the table and of every tensor region, relative to the file start.
pub const ALIGN: usize = 64;
pub const PREAMBLE_LEN: usize = 64;

/// `TensorRecord::layout`: row-major, the default for every dtype.
pub const LAYOUT_ROW_MAJOR: u8 = 0;
/// `TensorRecord::layout`: int8 matrix packed in 16-channel × 4-k blocks (`kernels::pack`),
/// the layout every int8 GEMM kernel reads. Rank 2 only; `data_len = kernels::pack::packed_len`.
pub const LAYOUT_PANEL16X4: u8 = 1;

/// Element type of a tensor region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum DType {
    F32 = 0,
    F16 = 1,
    /// Symmetric int8 in [-127, 127]; the record's aux region holds one f32 scale per row then
    /// one i32 sum of the row's int8 values.
    I8 = 2,
    /// Opaque bytes (bundled tokenizer files).
    U8 = 3,
}

impl DType {
    pub fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0 => DType::F32,
            1 => DType::F16,
            2 => DType::I8,
            3 => DType::U8,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F16 => 2,
            DType::I8 | DType::U8 => 1,
        }
    }
}

/// The fixed 64-byte preamble at offset 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Preamble {
    pub magic: [u8; 8],
    pub version: u32,
    pub reserved: u32,
    /// Length of the postcard header, which starts at byte 64.
    pub header_len: u64,
    pub table_offset: u64,
    pub table_count: u64,
    pub data_offset: u64,
    pub data_len: u64,
    /// CRC-32 (IEEE) of bytes `64..data_offset`: header, padding and table. Always checked.
    pub meta_crc: u32,
    /// CRC-32 (IEEE) of the data section. Checked by `ModelFile::verify_data`.
    pub data_crc: u32,
}
const _: () = assert!(core::mem::size_of::<Preamble>() == PREAMBLE_LEN);

/// One entry of the tensor table (64 bytes, little-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct TensorRecord {
    /// Byte range of the name inside `Header::names`.
    pub name_offset: u32,
    pub name_len: u32,
    pub dtype: u8,
    pub rank: u8,
    /// `LAYOUT_ROW_MAJOR` (0) or, for rank-2 int8 matrices, `LAYOUT_PANEL16X4` (1).
    pub layout: u8,
    pub reserved0: u8,
    /// Dimensions, outermost first; unused trailing entries are 1.
    pub shape: [u32; 4],
    pub reserved1: u32,
    /// Offsets are relative to the data section.
    pub data_offset: u64,
    pub data_len: u64,
    pub aux_offset: u64,
    pub aux_len: u64,
}
const _: () = assert!(core::mem::size_of::<TensorRecord>() == 64);

/// Tokenizer settings the converter resolved (tokenizer_config.json wins over tokenizer.json).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenizerSettings {
    pub do_lower_case: bool,
    pub strip_accents: Option<bool>,
    pub tokenize_chinese_chars: bool,
    pub model_max_length: Option<u32>,
}

/// The postcard-encoded header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header<'a> {
    pub config: Config,
    pub head: Head,
    /// The dtype the converter chose for weights (`--int8`, `--f16`, `--f32`).
    pub weight_dtype: DType,
    /// `true` when the LM head reuses the word-embedding table (no `generator_lm_head.weight`).
    pub lm_head_tied: bool,
    /// `id2label` names in id order, joined by '\n'; empty when the checkpoint has none.
    #[serde(borrow)]
    pub labels: &'a str,
    pub tokenizer: Option<TokenizerSettings>,
    /// Pool of tensor names that records point into.
    #[serde(borrow)]
    pub names: &'a str,
    /// Who wrote the file, e.g. `electra-convert 0.1.0`.
    #[serde(borrow)]
    pub producer: &'a str,
}

/// A validated, borrowed view of one tensor.
#[derive(Debug, Clone, Copy)]
pub struct TensorView<'a> {
    pub name: &'a str,
    pub dtype: DType,
    pub rank: usize,
    pub shape: [u32; 4],
    pub layout: u8,
    pub data: &'a [u8],
    pub aux: &'a [u8],
}

impl<'a> TensorView<'a> {
    pub fn dims(&self) -> &[u32] {
        &self.shape[..self.rank]
    }

    /// Number of rows (product of all dims but the last) and columns (last dim).
    pub fn rows_cols(&self) -> (usize, usize) {
        let rank = self.rank.min(4);
        let cols = if rank == 0 { 1 } else { self.shape[rank - 1] as usize };
        // Saturating: `parse` bounds the row count of every int8 tensor by its aux length, but a
        // shape like [2^32-1, 2^32-1, 2^32-1, 0] (zero elements) must not overflow here either.
        let rows = self.shape[..rank.saturating_sub(1)].iter().fold(1usize, |a, &d| a.saturating_mul(d as usize));
        (rows, cols)
    }

    pub fn f32s(&self) -> Result<&'a [f32], Error> {
        self.cast(DType::F32)
    }

    pub fn f16s(&self) -> Result<&'a [half::f16], Error> {
        self.cast(DType::F16)
    }

    pub fn i8s(&self) -> Result<&'a [i8], Error> {
        self.cast(DType::I8)
    }

    /// The per-row scales and row sums of an int8 tensor.
    pub fn i8_aux(&self) -> Result<(&'a [f32], &'a [i32]), Error> {
        let (rows, _) = self.rows_cols();
        let half = rows.checked_mul(4).filter(|&n| n.checked_mul(2) == Some(self.aux.len()));
        let (s, r) = self.aux.split_at(half.ok_or(Error::Header("int8 aux length does not match the row count"))?);
        let scales = bytemuck::try_cast_slice(s).map_err(|_| Error::Header("int8 scales misaligned"))?;
        let sums = bytemuck::try_cast_slice(r).map_err(|_| Error::Header("int8 row sums misaligned"))?;
        Ok((scales, sums))
    }

    fn cast<T: Pod>(&self, want: DType) -> Result<&'a [T], Error> {
        if self.dtype != want {
            return Err(Error::TensorDType { name: crate::error::TensorName::new(self.name), found: self.dtype });
        }
        bytemuck::try_cast_slice(self.data).map_err(|_| Error::Header("tensor data misaligned"))
    }
}

/// A parsed model file borrowing the bytes it was given.
#[derive(Debug, Clone)]
pub struct ModelFile<'a> {
    pub preamble: Preamble,
    pub header: Header<'a>,
    table: &'a [TensorRecord],
    data: &'a [u8],
}

/// Bytes of an [n, k] int8 matrix in the panel layout (n padded to 16, k to 4), checked.
pub fn packed_bytes(n: u64, k: u64) -> Option<u64> {
    let n_pad = n.checked_add(15)? / 16 * 16;
    let k_pad = k.checked_add(3)? / 4 * 4;
    n_pad.checked_mul(k_pad)
}

fn region(what: &'static str, start: u64, len: u64, total: u64) -> Result<(usize, usize), Error> {
    let end = start.checked_add(len).ok_or(Error::Truncated { what, start, end: u64::MAX, len: total })?;
    if end > total {
        return Err(Error::Truncated { what, start, end, len: total });
    }
    Ok((start as usize, end as usize))
}

fn aligned(what: &'static str, offset: u64) -> Result<(), Error> {
    if !offset.is_multiple_of(ALIGN as u64) {
        return Err(Error::Misaligned { what, offset, align: ALIGN as u64 });
    }
    Ok(())
}

impl<'a> ModelFile<'a> {
    /// Validates the preamble, header, table and every tensor region. Does not read tensor data
    /// (see `verify_data`), so it is cheap enough to run at every load.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        if !(bytes.as_ptr() as usize).is_multiple_of(ALIGN) {
            return Err(Error::UnalignedBuffer);
        }
        let total = bytes.len() as u64;
        if bytes.len() < PREAMBLE_LEN {
            if bytes.len() >= 8 && bytes[..8] != MAGIC {
                return Err(Error::BadMagic);
            }
            return Err(Error::Truncated { what: "preamble", start: 0, end: PREAMBLE_LEN as u64, len: total });
        }
        let preamble: Preamble = bytemuck::pod_read_unaligned(&bytes[..PREAMBLE_LEN]);
        if preamble.magic != MAGIC {
            return Err(Error::BadMagic);
        }
        if preamble.version != FORMAT_VERSION {
            return Err(Error::UnsupportedVersion { found: preamble.version, supported: FORMAT_VERSION });
        }
        let (h0, h1) = region("header", PREAMBLE_LEN as u64, preamble.header_len, total)?;
        aligned("tensor table", preamble.table_offset)?;
        aligned("data section", preamble.data_offset)?;
        let table_len = preamble
            .table_count
            .checked_mul(core::mem::size_of::<TensorRecord>() as u64)
            .ok_or(Error::Header("table_count overflows"))?;
        let (t0, t1) = region("tensor table", preamble.table_offset, table_len, total)?;
        let (d0, d1) = region("data section", preamble.data_offset, preamble.data_len, total)?;
        if (h1 as u64) > preamble.table_offset || (t1 as u64) > preamble.data_offset {
            return Err(Error::Header("sections overlap or are out of order"));
        }
        if d1 as u64 != total {
            return Err(Error::Header("file length does not match the data section (trailing bytes)"));
        }
        let meta_crc = crc32fast::hash(&bytes[PREAMBLE_LEN..d0]);
        if meta_crc != preamble.meta_crc {
            return Err(Error::Checksum { stored: preamble.meta_crc, computed: meta_crc });
        }
        let header: Header<'a> =
            postcard::from_bytes(&bytes[h0..h1]).map_err(|_| Error::Header("header does not decode"))?;
        header.config.validate(header.head)?;
        // Alignment of the table start was checked above and the buffer is 64-aligned.
        let table: &'a [TensorRecord] =
            bytemuck::try_cast_slice(&bytes[t0..t1]).map_err(|_| Error::Header("tensor table misaligned"))?;
        let file = ModelFile { preamble, header, table, data: &bytes[d0..d1] };
        let mut prev_end = 0u64;
        for i in 0..table.len() {
            prev_end = file.check_record(i, prev_end)?;
        }
        Ok(file)
    }

    fn check_record(&self, index: usize, prev_end: u64) -> Result<u64, Error> {
        let bad = |reason| Error::BadTensor { index, reason };
        let r = self.table[index];
        let names = self.header.names;
        let n0 = r.name_offset as usize;
        let n1 = n0.checked_add(r.name_len as usize).ok_or(bad("name range overflows"))?;
        if names.get(n0..n1).is_none() {
            return Err(bad("name is outside the name pool or splits a character"));
        }
        let dtype = DType::from_u8(r.dtype).ok_or(bad("unknown dtype"))?;
        if r.rank as usize > 4 {
            return Err(bad("rank above 4"));
        }
        let packed = match r.layout {
            LAYOUT_ROW_MAJOR => false,
            LAYOUT_PANEL16X4 if dtype == DType::I8 && r.rank == 2 => true,
            LAYOUT_PANEL16X4 => return Err(bad("the panel layout is for rank-2 int8 tensors only")),
            _ => return Err(bad("unknown layout")),
        };
        let mut elems: u64 = 1;
        for (k, &d) in r.shape.iter().enumerate() {
            if k >= r.rank as usize && d != 1 {
                return Err(bad("unused shape entries must be 1"));
            }
            elems = elems.checked_mul(d as u64).ok_or(bad("element count overflows"))?;
        }
        let bytes = if packed {
            packed_bytes(r.shape[0] as u64, r.shape[1] as u64).ok_or(bad("byte size overflows"))?
        } else {
            elems.checked_mul(dtype.size() as u64).ok_or(bad("byte size overflows"))?
        };
        if bytes != r.data_len {
            return Err(bad("data length does not match shape and dtype"));
        }
        if !r.data_offset.is_multiple_of(ALIGN as u64) {
            return Err(bad("data is not 64-byte aligned"));
        }
        if r.data_offset < prev_end {
            return Err(bad("data overlaps the previous tensor"));
        }
        let data_end = r.data_offset.checked_add(r.data_len).ok_or(bad("data range overflows"))?;
        if data_end > self.data.len() as u64 {
            return Err(bad("data runs past the end of the file"));
        }
        let aux_want = if dtype == DType::I8 {
            // One f32 scale and one i32 sum per row; rows = product of all dims but the last (1 for
            // rank 0), as `TensorView::rows_cols` counts them. Cannot overflow once `elems` did
            // not (its product is a prefix of the one `elems` computed): checked anyway.
            let rows = r.shape[..(r.rank as usize).saturating_sub(1)]
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
                .ok_or(bad("row count overflows"))?;
            rows.checked_mul(8).ok_or(bad("aux length overflows"))?
        } else {
            0
        };
        if r.aux_len != aux_want {
            return Err(bad("aux length does not match the dtype (int8 needs 8 bytes per row)"));
        }
        let mut end = data_end;
        if r.aux_len > 0 {
            if !r.aux_offset.is_multiple_of(ALIGN as u64) {
                return Err(bad("aux is not 64-byte aligned"));
            }
            if r.aux_offset < data_end {
                return Err(bad("aux overlaps tensor data"));
            }
            end = r.aux_offset.checked_add(r.aux_len).ok_or(bad("aux range overflows"))?;
            if end > self.data.len() as u64 {
                return Err(bad("aux runs past the end of the file"));
            }
        } else if r.aux_offset > self.data.len() as u64 {
            // Unused, but `tensor()` still slices `aux_offset..aux_offset`: keep it in bounds so
            // every record `parse` accepts resolves (the writer stores 0).
            return Err(bad("aux offset is outside the data section"));
        }
        Ok(end)
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The tensor at `index` of the table (already validated by `parse`).
    pub fn tensor(&self, index: usize) -> Result<TensorView<'a>, Error> {
        let r = self.table.get(index).ok_or(Error::BadTensor { index, reason: "index past the table" })?;
        let name = self
            .header
            .names
            .get(r.name_offset as usize..(r.name_offset as usize).saturating_add(r.name_len as usize))
            .ok_or(Error::BadTensor { index, reason: "bad name" })?;
        let dtype = DType::from_u8(r.dtype).ok_or(Error::BadTensor { index, reason: "unknown dtype" })?;
        let span = |off: u64, len: u64| -> Result<&'a [u8], Error> {
            let end = off.checked_add(len).ok_or(Error::BadTensor { index, reason: "range overflows" })?;
            self.data.get(off as usize..end as usize).ok_or(Error::BadTensor { index, reason: "out of bounds" })
        };
        Ok(TensorView {
            name,
            dtype,
            rank: r.rank as usize,
            shape: r.shape,
            layout: r.layout,
            data: span(r.data_offset, r.data_len)?,
            aux: span(r.aux_offset, r.aux_len)?,
        })
    }

    /// Linear search by name (for blobs and tools; the forward pass resolves tensors by index).
    pub fn find(&self, name: &str) -> Option<TensorView<'a>> {
        (0..self.table.len()).filter_map(|i| self.tensor(i).ok()).find(|t| t.name == name)
    }

    /// The bytes of a bundled file (`blob/vocab.txt`, ...), if present.
    pub fn blob(&self, name: &str) -> Option<&'a [u8]> {
        self.find(name).filter(|t| t.dtype == DType::U8).map(|t| t.data)
    }

    /// Label names in id order (empty when the checkpoint had no `id2label`).
    pub fn labels(&self) -> impl Iterator<Item = &'a str> {
        let l = self.header.labels;
        l.split('\n').filter(move |_| !l.is_empty())
    }

    /// Checks the CRC-32 of the data section (reads every byte: ~1 ms per 10 MB).
    pub fn verify_data(&self) -> Result<(), Error> {
        let computed = crc32fast::hash(self.data);
        if computed != self.preamble.data_crc {
            return Err(Error::Checksum { stored: self.preamble.data_crc, computed });
        }
        Ok(())
    }
}
