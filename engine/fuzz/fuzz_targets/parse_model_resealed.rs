//! As `parse_model`, but the meta CRC-32 (preamble bytes 56..60) is recomputed before parsing, so
//! mutations of the header and tensor table reach the structural checks instead of stopping at
//! the checksum. Every accepted table entry must also resolve through `ModelFile::tensor`.
#![no_main]

use electra_engine::buffer::AlignedBytes;
use electra_engine::format::{ModelFile, PREAMBLE_LEN};
use electra_engine::{DType, Inputs, Model};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut data = data.to_vec();
    if data.len() >= PREAMBLE_LEN {
        let d = u64::from_le_bytes(data[40..48].try_into().unwrap());
        if let Ok(d) = usize::try_from(d) {
            if (PREAMBLE_LEN..=data.len()).contains(&d) {
                let crc = crc32fast::hash(&data[PREAMBLE_LEN..d]);
                data[56..60].copy_from_slice(&crc.to_le_bytes());
            }
        }
    }
    let bytes = AlignedBytes::from_slice(&data);
    let Ok(file) = ModelFile::parse(&bytes) else { return };
    for i in 0..file.len() {
        let t = file.tensor(i).expect("parse accepted this record");
        let _ = t.rows_cols();
        if t.dtype == DType::I8 {
            t.i8_aux().expect("parse checked the aux length");
        }
    }
    let _ = file.labels().count();
    let Ok(model) = Model::new(file) else { return };
    let c = model.config();
    let seq = 4.min(c.max_position_embeddings as usize);
    let ids: Vec<u32> = (0..seq as u32).map(|i| i.min(c.vocab_size - 1)).collect();
    let mut scratch = vec![0.0f32; model.scratch_len(1, seq, 0)];
    let mut out = vec![0.0f32; model.output_len(1, seq, 1)];
    model.forward(&Inputs::new(&ids, 1, seq), &mut scratch, &mut out).expect("a loaded model runs valid inputs");
});
