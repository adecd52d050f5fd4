//! Untrusted bytes → `Model::from_bytes` → (if accepted) a 1×4 forward pass.
//!
//! The property: no input makes the engine panic, abort or read out of bounds; a bad file is a
//! typed `electra_engine::Error`. A file that loads may hold garbage weights, so its outputs may
//! be NaN, but the forward pass itself must not fail or panic.
#![no_main]

use electra_engine::buffer::AlignedBytes;
use electra_engine::{Inputs, Model};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `parse` requires a 64-byte aligned buffer (mmap or AlignedBytes); libFuzzer's is not.
    let bytes = AlignedBytes::from_slice(data);
    let Ok(model) = Model::from_bytes(&bytes) else { return };
    let _ = model.file().verify_data();
    let c = model.config();
    let seq = 4.min(c.max_position_embeddings as usize);
    let ids: Vec<u32> = (0..seq as u32).map(|i| i.min(c.vocab_size - 1)).collect();
    let mut scratch = vec![0.0f32; model.scratch_len(1, seq, 0)];
    let mut out = vec![0.0f32; model.output_len(1, seq, 1)];
    model.forward(&Inputs::new(&ids, 1, seq), &mut scratch, &mut out).expect("a loaded model runs valid inputs");
});
