//! Splitting row-wise work across threads (rayon, with `std`); sequential without `std` or with
//! one thread. Every row is computed by the same code whatever the split, so outputs are
//! bit-identical for any thread count.

/// Below this many multiply-accumulates a split costs more than it saves.
const MIN_PARALLEL_WORK: usize = 1 << 16;

/// Threads available to the current call (rayon's pool under `std`, else 1).
pub fn threads() -> usize {
    #[cfg(feature = "std")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "std"))]
    {
        1
    }
}

/// Calls `f(first_row, chunk)` for consecutive chunks of `y`'s rows (`width` values each),
/// chunk starts aligned to `align` rows, in parallel when the work (`work_per_row` per row) is
/// worth it.
pub fn for_row_chunks<F>(y: &mut [f32], width: usize, align: usize, work_per_row: usize, f: F)
where
    F: Fn(usize, &mut [f32]) + Sync + Send,
{
    let rows = if width == 0 { 0 } else { y.len() / width };
    let t = threads();
    if t <= 1 || rows < 2 || rows.saturating_mul(work_per_row) < MIN_PARALLEL_WORK {
        f(0, y);
        return;
    }
    let per = rows.div_ceil(t).div_ceil(align.max(1)) * align.max(1);
    #[cfg(feature = "std")]
    {
        use rayon::prelude::*;
        y.par_chunks_mut(per * width).enumerate().for_each(|(i, chunk)| f(i * per, chunk));
    }
    #[cfg(not(feature = "std"))]
    {
        for (i, chunk) in y.chunks_mut(per * width).enumerate() {
            f(i * per, chunk);
        }
    }
}

/// As `for_row_chunks` over two buffers with the same number of rows (`wa` and `wb` values per
/// row), split at the same rows: `f(first_row, a_chunk, b_chunk)`.
pub fn for_row_chunks2<F>(a: &mut [f32], wa: usize, b: &mut [f32], wb: usize, work_per_row: usize, f: F)
where
    F: Fn(usize, &mut [f32], &mut [f32]) + Sync + Send,
{
    let rows = if wa == 0 { 0 } else { a.len() / wa };
    let t = threads();
    if t <= 1 || rows < 2 || wb == 0 || rows.saturating_mul(work_per_row) < MIN_PARALLEL_WORK {
        f(0, a, b);
        return;
    }
    let per = rows.div_ceil(t);
    #[cfg(feature = "std")]
    {
        use rayon::prelude::*;
        a.par_chunks_mut(per * wa)
            .zip(b.par_chunks_mut(per * wb))
            .enumerate()
            .for_each(|(i, (ca, cb))| f(i * per, ca, cb));
    }
    #[cfg(not(feature = "std"))]
    {
        for (i, (ca, cb)) in a.chunks_mut(per * wa).zip(b.chunks_mut(per * wb)).enumerate() {
            f(i * per, ca, cb);
        }
    }
}
