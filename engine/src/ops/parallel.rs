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
    let rows = y.len().checked_div(width).unwrap_or(0);
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

/// A bundle of row-major buffers that all hold the same rows (the token rows of a layer), split
/// at a row boundary into two bundles of the same kind: a buffer (`Out`, `In`) or a tuple of them.
pub trait Rows: Sized + Send {
    fn split_at_row(self, row: usize) -> (Self, Self);
}

/// A buffer the rows write: `.1` values per row. A split past its end leaves the second part
/// empty (an empty buffer stays empty).
pub struct Out<'a, T>(pub &'a mut [T], pub usize);

/// A buffer the rows read: `.1` values per row.
pub struct In<'a, T>(pub &'a [T], pub usize);

impl<T: Send> Rows for Out<'_, T> {
    fn split_at_row(self, row: usize) -> (Self, Self) {
        let (a, b) = self.0.split_at_mut(row.saturating_mul(self.1).min(self.0.len()));
        (Out(a, self.1), Out(b, self.1))
    }
}

impl<T: Sync> Rows for In<'_, T> {
    fn split_at_row(self, row: usize) -> (Self, Self) {
        let (a, b) = self.0.split_at(row.saturating_mul(self.1).min(self.0.len()));
        (In(a, self.1), In(b, self.1))
    }
}

/// Tuples of `Rows` split element by element.
macro_rules! tuple_rows {
    ($($t:ident $v:ident $i:tt),+) => {
        impl<$($t: Rows),+> Rows for ($($t,)+) {
            fn split_at_row(self, row: usize) -> (Self, Self) {
                $(let $v = self.$i.split_at_row(row);)+
                (($($v.0,)+), ($($v.1,)+))
            }
        }
    };
}
tuple_rows!(A a 0, B b 1);
tuple_rows!(A a 0, B b 1, C c 2);
tuple_rows!(A a 0, B b 1, C c 2, D d 3);
tuple_rows!(A a 0, B b 1, C c 2, D d 3, E e 4);
tuple_rows!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5);
tuple_rows!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6);
tuple_rows!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7);
tuple_rows!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8);
tuple_rows!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9);
tuple_rows!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7, I i 8, J j 9, K k 10);

/// Whether [`for_rows`] splits `rows` rows of `work_per_row` multiply-accumulates each into more
/// than one chunk. Never without `std` (one thread).
pub fn splits(rows: usize, work_per_row: usize) -> bool {
    threads() > 1 && rows >= 2 && rows.saturating_mul(work_per_row) >= MIN_PARALLEL_WORK
}

/// Calls `f(first_row, chunk)` once per chunk of `data`'s `rows` rows: one chunk per thread
/// (chunk starts aligned to `align` rows), in parallel when the work (`work_per_row` per row) is
/// worth it. One fork and join for the whole `f`, however much it does per row: a layer's
/// row-local work (attention, projections, LayerNorm, FFN) runs as one region.
pub fn for_rows<R, F>(rows: usize, align: usize, work_per_row: usize, data: R, f: F)
where
    R: Rows,
    F: Fn(usize, R) + Sync + Send,
{
    if !splits(rows, work_per_row) {
        f(0, data);
        return;
    }
    let t = threads();
    let per = rows.div_ceil(t).div_ceil(align.max(1)) * align.max(1);
    #[cfg(feature = "region-stats")]
    {
        let region = stats::Region::start();
        split(0, rows, per, data, &|r0, chunk| {
            let s = region.now();
            f(r0, chunk);
            region.chunk(r0 / per, s, region.now());
        });
        region.finish(rows.div_ceil(per));
    }
    #[cfg(not(feature = "region-stats"))]
    split(0, rows, per, data, &f);
}

/// Halves `data` (in whole chunks of `per` rows) until one chunk is left, running halves with
/// `rayon::join`.
fn split<R, F>(r0: usize, rows: usize, per: usize, data: R, f: &F)
where
    R: Rows,
    F: Fn(usize, R) + Sync + Send,
{
    if rows <= per {
        f(r0, data);
        return;
    }
    let chunks = rows.div_ceil(per);
    let mid = chunks.div_ceil(2) * per;
    let (a, b) = data.split_at_row(mid);
    #[cfg(feature = "std")]
    rayon::join(|| split(r0, mid, per, a, f), || split(r0 + mid, rows - mid, per, b, f));
    #[cfg(not(feature = "std"))]
    {
        split(r0, mid, per, a, f);
        split(r0 + mid, rows - mid, per, b, f);
    }
}

/// Timings of the parallel regions of `for_rows` (feature `region-stats`), summed over regions:
/// where a region's wall time goes beyond its threads' work. `electra bench` prints them.
#[cfg(feature = "region-stats")]
pub mod stats {
    use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
    use std::time::Instant;

    /// Chunks a region tracks (more are run but not timed).
    const MAX_CHUNKS: usize = 16;

    /// Sums over the split regions so far, in nanoseconds.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Totals {
        /// Regions that ran more than one chunk.
        pub regions: u64,
        /// Fork to return.
        pub wall: u64,
        /// Fork to the start of the chunk that started last (how late the last thread joined).
        pub start_lag: u64,
        /// The longest and shortest chunk's run time.
        pub work_max: u64,
        pub work_min: u64,
        /// The first chunk's run time (rows from 0: the thread that forked runs it).
        pub work_first: u64,
        /// End of the chunk that finished last to the return of the join.
        pub join: u64,
    }

    static TOTALS: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];

    /// The sums so far.
    pub fn totals() -> Totals {
        let v: [u64; 7] = core::array::from_fn(|i| TOTALS[i].load(Relaxed));
        Totals { regions: v[0], wall: v[1], start_lag: v[2], work_max: v[3], work_min: v[4], join: v[5], work_first: v[6] }
    }

    /// Zeroes the sums (after a warm-up).
    pub fn reset() {
        for t in &TOTALS {
            t.store(0, Relaxed);
        }
    }

    /// One region being timed: chunk start and end times in ns after the fork.
    pub(super) struct Region {
        fork: Instant,
        starts: [AtomicU64; MAX_CHUNKS],
        ends: [AtomicU64; MAX_CHUNKS],
    }

    impl Region {
        pub(super) fn start() -> Self {
            Region { fork: Instant::now(), starts: [const { AtomicU64::new(0) }; MAX_CHUNKS], ends: [const { AtomicU64::new(0) }; MAX_CHUNKS] }
        }

        pub(super) fn now(&self) -> u64 {
            self.fork.elapsed().as_nanos() as u64
        }

        pub(super) fn chunk(&self, i: usize, start: u64, end: u64) {
            if i < MAX_CHUNKS {
                self.starts[i].store(start, Relaxed);
                self.ends[i].store(end, Relaxed);
            }
        }

        pub(super) fn finish(&self, chunks: usize) {
            let wall = self.now();
            let n = chunks.min(MAX_CHUNKS);
            if n < 2 {
                return;
            }
            let (mut lag, mut last, mut wmax, mut wmin) = (0, 0, 0, u64::MAX);
            for i in 0..n {
                let (s, e) = (self.starts[i].load(Relaxed), self.ends[i].load(Relaxed));
                lag = lag.max(s);
                last = last.max(e);
                wmax = wmax.max(e - s);
                wmin = wmin.min(e - s);
            }
            let first = self.ends[0].load(Relaxed) - self.starts[0].load(Relaxed);
            for (t, v) in TOTALS.iter().zip([1, wall, lag, wmax, wmin, wall.saturating_sub(last), first]) {
                t.fetch_add(v, Relaxed);
            }
        }
    }
}
