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

struct Pending {
    name: String,
    dtype: DType,
    shape: Vec<u32>,
    data: Vec<u8>,
    aux: Vec<u8>,
    /// Set by `add_i8` when the scales and row sums differ in length (reported by `build`).
    bad_aux: bool,
    layout: u8,
}

/// Collects tensors in file order, then lays out and serialises the file.
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
        self.push(name, DType::F32, shape, bytemuck::cast_slice(data).to_vec(), Vec::new());
    }

    pub fn add_f16(&mut self, name: &str, shape: &[u32], data: &[half::f16]) {
        self.push(name, DType::F16, shape, bytemuck::cast_slice(data).to_vec(), Vec::new());
    }

    /// An int8 tensor with one scale and one integer row sum per row.
    pub fn add_i8(&mut self, name: &str, shape: &[u32], data: &[i8], scales: &[f32], row_sums: &[i32]) {
        let mut aux = Vec::with_capacity(scales.len() * 8);
        aux.extend_from_slice(bytemuck::cast_slice(scales));
        aux.extend_from_slice(bytemuck::cast_slice(row_sums));
        self.push(name, DType::I8, shape, bytemuck::cast_slice(data).to_vec(), aux);
        if let Some(t) = self.tensors.last_mut() {
            t.bad_aux = scales.len() != row_sums.len();
        }
    }

    /// An int8 matrix [n, k] already packed by `kernels::pack::pack_panel16x4`, with one scale
    /// and one row sum per row (n of each).
    pub fn add_i8_panel(&mut self, name: &str, shape: [u32; 2], packed: &[i8], scales: &[f32], row_sums: &[i32]) {
        self.add_i8(name, &shape, packed, scales, row_sums);
        if let Some(t) = self.tensors.last_mut() {
            t.layout = super::LAYOUT_PANEL16X4;
        }
    }

    /// An opaque bundled file (`blob/vocab.txt`, ...).
    pub fn add_blob(&mut self, name: &str, bytes: &[u8]) {
        self.push(name, DType::U8, &[bytes.len() as u32], bytes.to_vec(), Vec::new());
    }

    fn push(&mut self, name: &str, dtype: DType, shape: &[u32], data: Vec<u8>, aux: Vec<u8>) {
        self.tensors.push(Pending {
            name: name.into(),
            dtype,
            shape: shape.to_vec(),
            data,
            aux,
            bad_aux: false,
            layout: super::LAYOUT_ROW_MAJOR,
        });
    }

    /// Lays out and serialises the file into memory, 64-byte aligned as `ModelFile::parse`
    /// wants it. Each tensor's bytes are freed once copied.
    pub fn build(self, info: &HeaderInfo) -> Result<AlignedBytes, Error> {
        let plan = self.plan(info)?;
        let mut file = AlignedBytes::zeroed(plan.file_len());
        let mut at = 0;
        self.emit(plan, |piece| {
            file[at..at + piece.len()].copy_from_slice(piece);
            at += piece.len();
            Ok::<(), Error>(())
        })?;
        Ok(file)
    }

    /// Serialises the file as `build` does, handing its bytes to `sink` in order, a piece at a
    /// time (the preamble, header and table, then each tensor with its padding), and freeing each
    /// tensor once handed over: a file written this way never sits in memory twice (the
    /// converter streams its f32 reference model to disk like this). The file's length is
    /// returned.
    pub fn write_into<E: From<Error>>(self, info: &HeaderInfo, sink: impl FnMut(&[u8]) -> Result<(), E>) -> Result<u64, E> {
        let plan = self.plan(info)?;
        let len = plan.file_len() as u64;
        self.emit(plan, sink)?;
        Ok(len)
    }

    /// Checks every tensor against what `parse` accepts and lays the file out.
    fn plan(&self, info: &HeaderInfo) -> Result<Plan, Error> {
        if info.labels.iter().any(|l| l.contains('\n')) {
            return Err(Error::Header("a label name contains a newline"));
        }
        let mut names = String::new();
        let mut records = Vec::with_capacity(self.tensors.len());
        let mut data_len = 0usize;
        for t in &self.tensors {
            if t.shape.len() > 4 {
                return Err(Error::Header("tensor rank above 4"));
            }
            let mut shape = [1u32; 4];
            shape[..t.shape.len()].copy_from_slice(&t.shape);
            // Refuse what `parse` would refuse, instead of writing a file that does not load.
            let elems = t.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d as usize));
            let want = if t.layout == super::LAYOUT_PANEL16X4 {
                super::packed_bytes(t.shape[0] as u64, t.shape[1] as u64).and_then(|b| usize::try_from(b).ok())
            } else {
                elems.and_then(|n| n.checked_mul(t.dtype.size()))
            };
            if want != Some(t.data.len()) {
                return Err(Error::Header("tensor data length does not match its shape and dtype"));
            }
            let rows = t.shape[..t.shape.len().saturating_sub(1)].iter().try_fold(1usize, |a, &d| a.checked_mul(d as usize));
            let aux_want = if t.dtype == DType::I8 { rows.and_then(|r| r.checked_mul(8)) } else { Some(0) };
            if t.bad_aux || aux_want != Some(t.aux.len()) {
                return Err(Error::Header("int8 tensor needs one scale and one row sum per row"));
            }
            if names.len().checked_add(t.name.len()).is_none_or(|end| end > u32::MAX as usize) {
                return Err(Error::Header("tensor names exceed 4 GiB"));
            }
            let data_offset = align_up(data_len);
            let mut end = data_offset + t.data.len();
            let aux_offset = if t.aux.is_empty() { 0 } else { align_up(end) };
            if !t.aux.is_empty() {
                end = aux_offset + t.aux.len();
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
                data_len: t.data.len() as u64,
                aux_offset: aux_offset as u64,
                aux_len: t.aux.len() as u64,
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
        Ok(Plan { records, header_bytes, table_offset, data_offset, data_len: align_up(data_len) })
    }

    /// Hands the planned file to `sink`: the CRCs first (one pass over the tensors), then the
    /// bytes in file order.
    fn emit<E: From<Error>>(self, plan: Plan, mut sink: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let Plan { records, header_bytes, table_offset, data_offset, data_len } = plan;
        let table: &[u8] = bytemuck::cast_slice(&records);
        // The metadata: header, zeros to the table, table, zeros to the data.
        let meta_len = data_offset - PREAMBLE_LEN;
        let mut meta = Vec::with_capacity(meta_len);
        meta.extend_from_slice(&header_bytes);
        meta.resize(table_offset - PREAMBLE_LEN, 0);
        meta.extend_from_slice(table);
        meta.resize(meta_len, 0);
        let mut data_crc = crc32fast::Hasher::new();
        data_pieces(&self.tensors, &records, data_len, |piece| data_crc.update(piece));
        let preamble = Preamble {
            magic: MAGIC,
            version: FORMAT_VERSION,
            reserved: 0,
            header_len: header_bytes.len() as u64,
            table_offset: table_offset as u64,
            table_count: records.len() as u64,
            data_offset: data_offset as u64,
            data_len: data_len as u64,
            meta_crc: crc32fast::hash(&meta),
            data_crc: data_crc.finalize(),
        };
        sink(bytemuck::bytes_of(&preamble))?;
        sink(&meta)?;
        drop(meta);
        let mut at = 0;
        for (t, r) in self.tensors.into_iter().zip(&records) {
            tensor_pieces(&t, r, &mut at, &mut |piece| sink(piece))?;
        }
        sink(&ZEROS[..data_len - at])
    }
}

/// A laid-out file: what `plan` computes before any byte is written.
struct Plan {
    records: Vec<TensorRecord>,
    header_bytes: Vec<u8>,
    table_offset: usize,
    data_offset: usize,
    /// The data section's length, a multiple of `ALIGN`.
    data_len: usize,
}

impl Plan {
    fn file_len(&self) -> usize {
        self.data_offset + self.data_len
    }
}

/// Zero padding (every gap is shorter than `ALIGN`).
static ZEROS: [u8; ALIGN] = [0; ALIGN];

/// The data section's bytes of one tensor, from position `at` (the end of the previous one):
/// zeros to its data, the data, zeros to its aux, the aux. Advances `at`.
fn tensor_pieces<E>(t: &Pending, r: &TensorRecord, at: &mut usize, sink: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
    let d = r.data_offset as usize;
    sink(&ZEROS[..d - *at])?;
    sink(&t.data)?;
    *at = d + t.data.len();
    if !t.aux.is_empty() {
        let a = r.aux_offset as usize;
        sink(&ZEROS[..a - *at])?;
        sink(&t.aux)?;
        *at = a + t.aux.len();
    }
    Ok(())
}

/// The whole data section as pieces, padding to `data_len` included (for its CRC).
fn data_pieces(tensors: &[Pending], records: &[TensorRecord], data_len: usize, mut f: impl FnMut(&[u8])) {
    let mut at = 0;
    for (t, r) in tensors.iter().zip(records) {
        let _ = tensor_pieces(t, r, &mut at, &mut |piece| {
            f(piece);
            Ok::<(), ()>(())
        });
    }
    f(&ZEROS[..data_len - at]);
}
