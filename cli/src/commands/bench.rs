//! `electra bench FILE --seq N [--batch B] [--threads T] [--iters I]`: latency of one forward
//! pass on random ids (seed 0, ids in 1000..30000 clamped to the vocabulary, as
//! ../shared/anchors/ort_time.py draws them; the ids themselves differ, the work does not), after
//! a warm-up. Last line: `median_ms=... p10_ms=... p90_ms=... load_ms=... peak_rss_mb=...`.
//!
//! `load_ms` is open → ready to run: mmap, parse and validate the header and tensor table,
//! resolve every weight. It does not read the weights (nor check their CRC, which `infer` does).

use std::path::PathBuf;
use std::time::Instant;

use electra_engine::mmap::MappedFile;
use electra_engine::{Inputs, Model, ModelFile};

use crate::load::Error;

#[derive(clap::Args)]
pub struct Args {
    /// Model file written by electra-convert.
    file: PathBuf,
    /// Tokens per sequence.
    #[arg(long, default_value_t = 128)]
    seq: usize,
    /// Sequences per batch (choices per example for multiple choice: 1 example).
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Timed iterations (after 5 warm-up runs).
    #[arg(long, default_value_t = 40)]
    iters: usize,
}

/// Peak resident set size of this process (VmHWM), in MB; 0 where /proc is unavailable.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

pub fn run(args: Args) -> Result<(), Error> {
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads == 0 || args.iters == 0 || args.seq == 0 || args.batch == 0 {
        return Err("--threads, --iters, --seq and --batch must be at least 1".into());
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;

    let t0 = Instant::now();
    let map = MappedFile::open(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let model = Model::new(ModelFile::parse(map.bytes())?)?;
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;

    let c = model.config();
    let (batch, seq) = (args.batch, args.seq);
    let choices = if model.head == electra_engine::Head::MultipleChoice { batch } else { 1 };
    let (lo, hi) = (1000u64.min(c.vocab_size as u64 - 1), 30000u64.min(c.vocab_size as u64));
    let mut state = 0x853C_49E6_748F_EA9Bu64; // seed 0 of this generator (splitmix64)
    let ids: Vec<u32> = (0..batch * seq)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (lo + (z ^ (z >> 31)) % (hi - lo).max(1)) as u32
        })
        .collect();
    let mask = vec![1u32; ids.len()];
    let types = vec![0u32; ids.len()];
    let inputs = Inputs { input_ids: &ids, attention_mask: Some(&mask), token_type_ids: Some(&types), batch, seq, choices };
    model.validate_inputs(&inputs, 0)?;
    let mut scratch = vec![0.0f32; model.scratch_len(batch, seq, 0)];
    let mut out = vec![0.0f32; model.output_len(batch, seq, choices)];

    let mut times = Vec::with_capacity(args.iters);
    pool.install(|| -> Result<(), electra_engine::Error> {
        for _ in 0..5 {
            model.forward(&inputs, &mut scratch, &mut out)?;
        }
        #[cfg(feature = "region-stats")]
        electra_engine::ops::parallel::stats::reset();
        for _ in 0..args.iters {
            let t = Instant::now();
            model.forward(&inputs, &mut scratch, &mut out)?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        Ok(())
    })?;
    times.sort_by(|a, b| a.total_cmp(b));
    eprintln!(
        "{}: {} ({:?} weights), batch {batch} seq {seq}, {threads} thread(s), kernels {}, {} iterations",
        args.file.display(),
        model.head.hf_class(),
        model.file().header.weight_dtype,
        model.kernels().name(),
        args.iters
    );
    #[cfg(feature = "region-stats")]
    {
        let t = electra_engine::ops::parallel::stats::totals();
        let per = |ns: u64| ns as f64 / 1e3 / t.regions.max(1) as f64;
        out!(
            "regions_per_pass={:.1} per region (us): wall={:.2} start_lag={:.2} work_max={:.2} work_min={:.2} work_first={:.2} join={:.2}",
            t.regions as f64 / args.iters as f64,
            per(t.wall),
            per(t.start_lag),
            per(t.work_max),
            per(t.work_min),
            per(t.work_first),
            per(t.join)
        );
    }
    out!(
        "median_ms={:.3} p10_ms={:.3} p90_ms={:.3} load_ms={:.3} peak_rss_mb={:.1}",
        percentile(&times, 0.5),
        percentile(&times, 0.1),
        percentile(&times, 0.9),
        load_ms,
        peak_rss_mb()
    );
    Ok(())
}
