//! Writing model files (used by the converter; needs `alloc`). The layout is the one `parse`
//! reads; docs/file-format.md specifies it byte by byte.

use alloc::string::String;
use alloc::vec::Vec;

use super::{DType, Header, Preamble, TensorRecord, TokenizerSettings, ALIGN, FORMAT_VERSION, MAGIC, PREAMBLE_LEN};
use crate::buffer::AlignedBytes;
use crate::config::{Config, Head};
use crate::Error;

/// Everything of the header but the name pool, which the writer builds.
#[derive(Debug, Clone)]
pub struct HeaderInfo {
    pub config: Config,
    pub head: Head,
    pub weight_dtype: DType,
    pub lm_head_tied: bool,
    pub labels: Vec<String>,
    pub tokenizer: Option<TokenizerSettings>,
    pub producer: String,
}

/// A tensor as the layout sees it before its bytes exist: name, dtype, shape and layout (the
/// lengths of its data and aux follow from them).
#[derive(Debug, Clone)]
pub struct TensorHead {
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<u32>,
    /// `LAYOUT_ROW_MAJOR`, or `LAYOUT_PANEL16X4` for a packed int8 matrix.
    pub layout: u8,
}

impl TensorHead {
    pub fn new(name: &str, dtype: DType, shape: &[u32]) -> Self {
        TensorHead { name: name.into(), dtype, shape: shape.to_vec(), layout: super::LAYOUT_ROW_MAJOR }
    }

    /// An int8 matrix [n, k] packed by `kernels::pack::pack_panel16x4`.
    pub fn i8_panel(name: &str, shape: [u32; 2]) -> Self {
        TensorHead { layout: super::LAYOUT_PANEL16X4, ..TensorHead::new(name, DType::I8, &shape) }
    }

    /// An opaque bundled file of `len` bytes.
    pub fn blob(name: &str, len: usize) -> Self {
        TensorHead::new(name, DType::U8, &[len as u32])
    }

    /// The data's length in bytes, as `parse` will expect it (None if it overflows).
    fn data_len(&self) -> Option<usize> {
        if self.layout == super::LAYOUT_PANEL16X4 {
            let (n, k) = (*self.shape.first()? as u64, *self.shape.get(1)? as u64);
            super::packed_bytes(n, k).and_then(|b| usize::try_from(b).ok())
        } else {
            self.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d as usize)).and_then(|n| n.checked_mul(self.dtype.size()))
        }
    }

    /// The aux region's length: a scale and a row sum per row for int8, else none.
    fn aux_len(&self) -> Option<usize> {
        if self.dtype != DType::I8 {
            return Some(0);
        }
        let rows = self.shape[..self.shape.len().saturating_sub(1)].iter().try_fold(1usize, |a, &d| a.checked_mul(d as usize));
        rows.and_then(|r| r.checked_mul(8))
    }
}

struct Pending {
    head: TensorHead,
    data: Vec<u8>,
    aux: Vec<u8>,
    /// Set by `add_i8` when the scales and row sums differ in length (reported by `build`).
    bad_aux: bool,
}

/// Collects tensors in file order, then lays out and serialises the file (`build`). To write a
/// file without holding its tensors, use `FileWriter`.
#[derive(Default)]
pub struct FileBuilder {
    tensors: Vec<Pending>,
}

fn align_up(x: usize) -> usize {
    x.div_ceil(ALIGN) * ALIGN
}

impl FileBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_f32(&mut self, name: &str, shape: &[u32], data: &[f32]) {
        self.push(TensorHead::new(name, DType::F32, shape), bytemuck::cast_slice(data).to_vec(), Vec::new());
    }

    pub fn add_f16(&mut self, name: &str, shape: &[u32], data: &[half::f16]) {
        self.push(TensorHead::new(name, DType::F16, shape), bytemuck::cast_slice(data).to_vec(), Vec::new());
    }

    /// An int8 tensor with one scale and one integer row sum per row.
    pub fn add_i8(&mut self, name: &str, shape: &[u32], data: &[i8], scales: &[f32], row_sums: &[i32]) {
        self.push_i8(TensorHead::new(name, DType::I8, shape), data, scales, row_sums);
    }

    /// An int8 matrix [n, k] already packed by `kernels::pack::pack_panel16x4`, with one scale
    /// and one row sum per row (n of each).
    pub fn add_i8_panel(&mut self, name: &str, shape: [u32; 2], packed: &[i8], scales: &[f32], row_sums: &[i32]) {
        self.push_i8(TensorHead::i8_panel(name, shape), packed, scales, row_sums);
    }

    /// An opaque bundled file (`blob/vocab.txt`, ...).
    pub fn add_blob(&mut self, name: &str, bytes: &[u8]) {
        self.push(TensorHead::blob(name, bytes.len()), bytes.to_vec(), Vec::new());
    }

    fn push_i8(&mut self, head: TensorHead, data: &[i8], scales: &[f32], row_sums: &[i32]) {
        let mut aux = Vec::with_capacity(scales.len() * 8);
        aux.extend_from_slice(bytemuck::cast_slice(scales));
        aux.extend_from_slice(bytemuck::cast_slice(row_sums));
        self.push(head, bytemuck::cast_slice(data).to_vec(), aux);
        if let Some(t) = self.tensors.last_mut() {
            t.bad_aux = scales.len() != row_sums.len();
        }
    }

    fn push(&mut self, head: TensorHead, data: Vec<u8>, aux: Vec<u8>) {
        self.tensors.push(Pending { head, data, aux, bad_aux: false });
    }

    /// Lays out and serialises the file into memory, 64-byte aligned as `ModelFile::parse`
    /// wants it (through `FileWriter`). Each tensor's bytes are freed once copied.
    pub fn build(self, info: &HeaderInfo) -> Result<AlignedBytes, Error> {
        let heads: Vec<TensorHead> = self.tensors.iter().map(|t| t.head.clone()).collect();
        let (mut w, start) = FileWriter::new(info, &heads)?;
        drop(heads);
        let mut file = AlignedBytes::zeroed(w.file_len());
        file[..start.len()].copy_from_slice(&start);
        let mut at = start.len();
        let mut sink = |piece: &[u8]| {
            file[at..at + piece.len()].copy_from_slice(piece);
            at += piece.len();
            Ok::<(), Error>(())
        };
        for t in self.tensors {
            if t.bad_aux {
                return Err(Error::Header("int8 tensor needs one scale and one row sum per row"));
            }
            w.put(t.head.dtype, &t.data, [&t.aux, &[]], &mut sink)?;
        }
        let preamble = w.finish(&mut sink)?;
        file[..PREAMBLE_LEN].copy_from_slice(&preamble);
        Ok(file)
    }
}

/// Writes a model file tensor by tensor, without holding it: `new` lays the file out from the
/// tensors' heads and returns its first bytes (a zeroed preamble, the header and the table); each
/// tensor's bytes then go to a sink in file order (`f32`, `f16`, `i8`, `blob`, in the heads'
/// order), with the padding before them; `finish` returns the real preamble (it holds the data's
/// CRC, known only at the end), which replaces the zeroed one at offset 0. The result is the
/// same bytes `FileBuilder::build` makes (tested on every format test variant).
pub struct FileWriter {
    records: Vec<TensorRecord>,
    header_len: usize,
    table_offset: usize,
    data_offset: usize,
    /// The data section's length, a multiple of `ALIGN`.
    data_len: usize,
    meta_crc: u32,
    data_crc: crc32fast::Hasher,
    /// The next tensor to write, and the data section's bytes handed out so far.
    next: usize,
    at: usize,
    /// Data bytes of the next tensor written so far, between `begin` and `end`.
    open: Option<u64>,
}

/// Zero padding (every gap is shorter than `ALIGN`).
static ZEROS: [u8; ALIGN] = [0; ALIGN];

impl FileWriter {
    /// Checks the tensors' heads against what `parse` accepts and lays out the file. Returns the
    /// writer and the file's first `data_offset` bytes.
    pub fn new(info: &HeaderInfo, tensors: &[TensorHead]) -> Result<(FileWriter, Vec<u8>), Error> {
        if info.labels.iter().any(|l| l.contains('\n')) {
            return Err(Error::Header("a label name contains a newline"));
        }
        let mut names = String::new();
        let mut records = Vec::with_capacity(tensors.len());
        let mut data_len = 0usize;
        for t in tensors {
            if t.shape.len() > 4 {
                return Err(Error::Header("tensor rank above 4"));
            }
            let mut shape = [1u32; 4];
            shape[..t.shape.len()].copy_from_slice(&t.shape);
            // Refuse what `parse` would refuse, instead of writing a file that does not load.
            let (Some(len), Some(aux_len)) = (t.data_len(), t.aux_len()) else {
                return Err(Error::Header("tensor data length does not match its shape and dtype"));
            };
            if names.len().checked_add(t.name.len()).is_none_or(|end| end > u32::MAX as usize) {
                return Err(Error::Header("tensor names exceed 4 GiB"));
            }
            let data_offset = align_up(data_len);
            let mut end = data_offset + len;
            let aux_offset = if aux_len == 0 { 0 } else { align_up(end) };
            if aux_len != 0 {
                end = aux_offset + aux_len;
            }
            data_len = end;
            records.push(TensorRecord {
                name_offset: names.len() as u32,
                name_len: t.name.len() as u32,
                dtype: t.dtype as u8,
                rank: t.shape.len() as u8,
                layout: t.layout,
                reserved0: 0,
                shape,
                reserved1: 0,
                data_offset: data_offset as u64,
                data_len: len as u64,
                aux_offset: aux_offset as u64,
                aux_len: aux_len as u64,
            });
            names.push_str(&t.name);
        }
        let labels = info.labels.join("\n");
        let header = Header {
            config: info.config.clone(),
            head: info.head,
            weight_dtype: info.weight_dtype,
            lm_head_tied: info.lm_head_tied,
            labels: &labels,
            tokenizer: info.tokenizer.clone(),
            names: &names,
            producer: &info.producer,
        };
        let header_bytes = postcard::to_allocvec(&header).map_err(|_| Error::Header("header does not encode"))?;
        let table_offset = align_up(PREAMBLE_LEN + header_bytes.len());
        let data_offset = align_up(table_offset + records.len() * core::mem::size_of::<TensorRecord>());
        // The file's start: zeroed preamble, header, zeros to the table, table, zeros to the data.
        let mut start = Vec::with_capacity(data_offset);
        start.resize(PREAMBLE_LEN, 0);
        start.extend_from_slice(&header_bytes);
        start.resize(table_offset, 0);
        start.extend_from_slice(bytemuck::cast_slice(&records));
        start.resize(data_offset, 0);
        let w = FileWriter {
            meta_crc: crc32fast::hash(&start[PREAMBLE_LEN..]),
            records,
            header_len: header_bytes.len(),
            table_offset,
            data_offset,
            data_len: align_up(data_len),
            data_crc: crc32fast::Hasher::new(),
            next: 0,
            at: 0,
            open: None,
        };
        Ok((w, start))
    }

    /// The whole file's length in bytes.
    pub fn file_len(&self) -> usize {
        self.data_offset + self.data_len
    }

    /// The next tensor, an f32 one.
    pub fn f32<E: From<Error>>(&mut self, data: &[f32], sink: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        self.put(DType::F32, bytemuck::cast_slice(data), [&[], &[]], sink)
    }

    /// The next tensor, an f16 one.
    pub fn f16<E: From<Error>>(&mut self, data: &[half::f16], sink: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        self.put(DType::F16, bytemuck::cast_slice(data), [&[], &[]], sink)
    }

    /// The next tensor, an int8 one (row-major or packed, as its head says) with one scale and
    /// one row sum per row.
    pub fn i8<E: From<Error>>(&mut self, data: &[i8], scales: &[f32], row_sums: &[i32], sink: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        if scales.len() != row_sums.len() {
            return Err(Error::Header("int8 tensor needs one scale and one row sum per row").into());
        }
        self.put(DType::I8, bytemuck::cast_slice(data), [bytemuck::cast_slice(scales), bytemuck::cast_slice(row_sums)], sink)
    }

    /// The next tensor, a bundled file.
    pub fn blob<E: From<Error>>(&mut self, bytes: &[u8], sink: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        self.put(DType::U8, bytes, [&[], &[]], sink)
    }

    /// Hands the next tensor's padding, data and aux (its two parts in order) to `sink`, after
    /// checking them against its record.
    fn put<E: From<Error>>(&mut self, dtype: DType, data: &[u8], aux: [&[u8]; 2], mut sink: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        // All checks first, so that a refused tensor leaves the writer as it was.
        if let Some(r) = self.records.get(self.next) {
            if r.data_len != data.len() as u64 {
                return Err(Error::Header("tensor data length does not match its shape and dtype").into());
            }
            if r.aux_len != (aux[0].len() + aux[1].len()) as u64 {
                return Err(Error::Header("int8 tensor needs one scale and one row sum per row").into());
            }
        }
        self.begin(dtype, &mut sink)?;
        self.piece(data, &mut sink)?;
        self.end(aux, &mut sink)
    }

    /// Starts the next tensor, whose data then comes in pieces (`piece`, in order) and closes
    /// with `end`: the same bytes as `f32`, `f16` or `i8` with the whole data at once, for a
    /// writer that holds a part of a large tensor at a time.
    pub fn begin<E: From<Error>>(&mut self, dtype: DType, mut sink: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        if self.open.is_some() {
            return Err(Error::Header("a tensor was begun before the last one ended").into());
        }
        let Some(r) = self.records.get(self.next) else {
            return Err(Error::Header("more tensors written than laid out").into());
        };
        if r.dtype != dtype as u8 {
            return Err(Error::Header("tensor data length does not match its shape and dtype").into());
        }
        let d = r.data_offset as usize;
        self.pad_to(d, &mut sink)?;
        self.open = Some(0);
        Ok(())
    }

    /// The next bytes of the tensor `begin` started.
    pub fn piece<E: From<Error>>(&mut self, data: &[u8], mut sink: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let (Some(done), Some(r)) = (self.open, self.records.get(self.next)) else {
            return Err(Error::Header("tensor data written before its tensor was begun").into());
        };
        let done = done + data.len() as u64;
        if done > r.data_len {
            return Err(Error::Header("tensor data length does not match its shape and dtype").into());
        }
        self.emit(data, &mut sink)?;
        self.open = Some(done);
        Ok(())
    }

    /// Ends the tensor `begin` started, after all of its data, with its aux bytes (an int8
    /// tensor's scales then row sums; nothing for the other dtypes).
    pub fn end<E: From<Error>>(&mut self, aux: [&[u8]; 2], mut sink: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let (Some(done), Some(r)) = (self.open, self.records.get(self.next)) else {
            return Err(Error::Header("a tensor was ended that was not begun").into());
        };
        if done != r.data_len {
            return Err(Error::Header("tensor data length does not match its shape and dtype").into());
        }
        if r.aux_len != (aux[0].len() + aux[1].len()) as u64 {
            return Err(Error::Header("int8 tensor needs one scale and one row sum per row").into());
        }
        let a = r.aux_offset as usize;
        if r.aux_len != 0 {
            self.pad_to(a, &mut sink)?;
            self.emit(aux[0], &mut sink)?;
            self.emit(aux[1], &mut sink)?;
        }
        self.open = None;
        self.next += 1;
        Ok(())
    }

    /// The padding after the last tensor to `sink`; returns the preamble (the file's first 64
    /// bytes, with both CRCs) to put in place of the zeroed one.
    pub fn finish<E: From<Error>>(mut self, mut sink: impl FnMut(&[u8]) -> Result<(), E>) -> Result<[u8; PREAMBLE_LEN], E> {
        if self.next != self.records.len() || self.open.is_some() {
            return Err(Error::Header("fewer tensors written than laid out").into());
        }
        self.pad_to(self.data_len, &mut sink)?;
        let preamble = Preamble {
            magic: MAGIC,
            version: FORMAT_VERSION,
            reserved: 0,
            header_len: self.header_len as u64,
            table_offset: self.table_offset as u64,
            table_count: self.records.len() as u64,
            data_offset: self.data_offset as u64,
            data_len: self.data_len as u64,
            meta_crc: self.meta_crc,
            data_crc: self.data_crc.finalize(),
        };
        let mut out = [0u8; PREAMBLE_LEN];
        out.copy_from_slice(bytemuck::bytes_of(&preamble));
        Ok(out)
    }

    /// Zeros up to data-section offset `to` (the layout puts it at most `ALIGN` past where the
    /// last piece ended).
    fn pad_to<E>(&mut self, to: usize, sink: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        while self.at < to {
            let gap = (to - self.at).min(ALIGN);
            self.emit(&ZEROS[..gap], sink)?;
        }
        Ok(())
    }

    fn emit<E>(&mut self, piece: &[u8], sink: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        self.data_crc.update(piece);
        self.at += piece.len();
        sink(piece)
    }
}
