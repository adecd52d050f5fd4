//! Outputs are bit-identical whatever the thread count: threads split rows (GEMM rows, attention
//! query rows, GELU and LayerNorm rows), or with one batch row and int8 weights attention's heads
//! and the Q, K, V columns (`model::team`), and every row, column and head is computed by the
//! same code.

use electra_convert::{convert, Options, WeightType};
use electra_engine::buffer::AlignedBytes;
use electra_engine::{Inputs, Model};

fn run_with_threads(model: &Model<'_>, ids: &[u32], batch: usize, seq: usize, threads: usize) -> Vec<f32> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| run(model, ids, batch, seq))
}

/// One pass on the current pool; the second and later batch rows have their last 3 keys masked.
fn run(model: &Model<'_>, ids: &[u32], batch: usize, seq: usize) -> Vec<f32> {
    let mask: Vec<u32> = (0..ids.len()).map(|i| u32::from(i % seq < seq - 3 || i < seq)).collect();
    let inputs = Inputs { input_ids: ids, attention_mask: Some(&mask), token_type_ids: None, batch, seq, choices: 1 };
    let mut scratch = vec![0.0; model.scratch_len(batch, seq, 0)];
    let mut out = vec![0.0; model.output_len(batch, seq, 1)];
    model.forward(&inputs, &mut scratch, &mut out).unwrap();
    out
}

/// The ELECTRA-small anchor converted with `wt`, or `None` (skipped) where `../shared` is absent.
fn electra_small(wt: WeightType) -> Option<AlignedBytes> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/anchors/electra-small-disc");
    if !dir.join("model.safetensors").is_file() {
        assert!(std::env::var_os("CI").is_none(), "CI is set but {} is missing", dir.display());
        eprintln!("SKIPPED: {} not found", dir.display());
        return None;
    }
    Some(AlignedBytes::from_slice(&convert(&Options::new(&dir, wt)).unwrap().bytes))
}

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn check(bytes: &AlignedBytes, batch: usize, seq: usize) {
    // Teams of up to 4 members even on a 2-core machine (`model::team` caps them at the cores).
    electra_engine::ops::parallel::assume_cores(4);
    let model = Model::from_bytes(bytes).unwrap();
    let v = model.config().vocab_size;
    let ids: Vec<u32> = (0..batch * seq).map(|i| (i as u32 * 7919 + 13) % v).collect();
    let one = run_with_threads(&model, &ids, batch, seq, 1);
    for threads in [2, 3, 4] {
        let many = run_with_threads(&model, &ids, batch, seq, threads);
        assert!(
            same_bits(&one, &many),
            "{threads} threads differ from 1 ({} kernels)",
            model.kernels().name()
        );
    }
}

#[test]
fn electra_small_int8_is_thread_count_invariant() {
    for wt in [WeightType::Int8, WeightType::F32] {
        let Some(bytes) = electra_small(wt) else { return };
        check(&bytes, 2, 77);
        // One batch row: each thread transposes its own keys (`layer::keys_in_region`), in
        // chunks of 16 rows with a partial last block.
        check(&bytes, 1, 77);
    }
}

/// With one batch row the layers run on a team of threads (`model::team`); when the pool's other
/// thread is busy the team cannot start, and the calling thread runs every member's phases alone:
/// the same bits, not a hang.
#[test]
fn a_busy_pool_gives_the_same_outputs() {
    let Some(bytes) = electra_small(WeightType::Int8) else { return };
    let model = Model::from_bytes(&bytes).unwrap();
    let seq = 77;
    let ids: Vec<u32> = (0..seq).map(|i| (i as u32 * 7919 + 13) % model.config().vocab_size).collect();
    let one = run_with_threads(&model, &ids, 1, seq, 1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let (release, blocked) = std::sync::mpsc::channel::<()>();
    let (started, is_started) = std::sync::mpsc::channel::<()>();
    pool.spawn(move || {
        started.send(()).unwrap();
        blocked.recv().unwrap();
    });
    is_started.recv().unwrap();
    let busy = pool.install(|| run(&model, &ids, 1, seq));
    release.send(()).unwrap();
    assert!(same_bits(&one, &busy), "a busy pool differs from 1 thread");
}

/// Passes run from inside a parallel iterator (several inputs at once on one pool): the team
/// either starts or steps aside (`parallel::pool_seems_free`, then the start timeout), and every
/// output is the 1-thread one.
#[test]
fn passes_inside_a_parallel_iterator_give_the_same_outputs() {
    use rayon::prelude::*;
    let Some(bytes) = electra_small(WeightType::Int8) else { return };
    let model = Model::from_bytes(&bytes).unwrap();
    let seq = 64;
    let v = model.config().vocab_size;
    let inputs: Vec<Vec<u32>> = (0..6u32).map(|s| (0..seq as u32).map(|i| (i * 7919 + 13 + s * 101) % v).collect()).collect();
    let one: Vec<Vec<f32>> = inputs.iter().map(|ids| run_with_threads(&model, ids, 1, seq, 1)).collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let many: Vec<Vec<f32>> = pool.install(|| inputs.par_iter().map(|ids| run(&model, ids, 1, seq)).collect());
    for (a, b) in one.iter().zip(&many) {
        assert!(same_bits(a, b), "a pass inside par_iter differs from 1 thread");
    }
}

#[test]
fn fixtures_are_thread_count_invariant() {
    for fx in electra_tests::manifest().into_iter().filter(|f| f.expect_error.is_none() && f.head != "multiple_choice") {
        let bytes = fx.convert(WeightType::Int8).unwrap();
        let seq = Model::from_bytes(&bytes).unwrap().config().max_position_embeddings as usize;
        check(&bytes, 3, seq);
        check(&bytes, 1, seq);
    }
}
