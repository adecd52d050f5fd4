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

/// A team of threads that stays together for a whole pass and moves through its phases in
/// lockstep (`model::team`): [`team`] starts it, [`Lockstep::wait`] separates the phases. Only
/// with `std`.
#[cfg(feature = "std")]
pub use team::{assume_cores, cores, pool_seems_free, team, Lockstep};

#[cfg(feature = "std")]
mod team {
    use core::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::*};
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    /// How long the first member waits for the others to start before it does the whole pass
    /// alone: the pool's other threads are busy (a caller running passes from inside the pool, or
    /// other work). A sleeping worker wakes in tens of microseconds.
    pub(super) const START_TIMEOUT: Duration = Duration::from_millis(1);

    /// Spins before a waiting thread starts yielding its core (`pause` takes ~140 cycles on
    /// recent Intel cores: 0.1–0.3 ms), for when a member's thread lost its core.
    const SPINS_BEFORE_YIELD: u32 = 1 << 12;

    /// A barrier for the members of a [`team`], spinning (a phase ends every few tens of
    /// microseconds, well below the cost of sleeping and waking a thread). If a member panics,
    /// the others panic at their next `wait` instead of waiting for it forever.
    pub struct Lockstep {
        members: usize,
        arrived: AtomicUsize,
        generation: AtomicUsize,
        broken: AtomicBool,
    }

    impl Lockstep {
        fn new(members: usize) -> Self {
            Lockstep { members, arrived: AtomicUsize::new(0), generation: AtomicUsize::new(0), broken: AtomicBool::new(false) }
        }

        /// Returns once every member has called `wait` as often as this one: what a member wrote
        /// before it is visible to every member after it.
        pub fn wait(&self) {
            let generation = self.generation.load(Acquire);
            if self.arrived.fetch_add(1, AcqRel) + 1 == self.members {
                self.arrived.store(0, Relaxed);
                self.generation.store(generation.wrapping_add(1), Release);
                return;
            }
            let mut spins = 0u32;
            while self.generation.load(Acquire) == generation {
                assert!(!self.broken.load(Relaxed), "a member of the thread team panicked");
                if spins < SPINS_BEFORE_YIELD {
                    spins += 1;
                    core::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
        }
    }

    /// The cores this process may run on (`std::thread::available_parallelism`, read once): a team
    /// spinning in lockstep with more members than cores waits for members that are not running.
    pub fn cores() -> usize {
        static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        match ASSUMED_CORES.load(Relaxed) {
            0 => *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            n => n,
        }
    }

    static ASSUMED_CORES: AtomicUsize = AtomicUsize::new(0);

    /// Whether a [`team`] started here can expect the pool's other threads to be free: not when
    /// the calling worker has tasks of its own queued (a pass run from inside a parallel
    /// iterator, say), whose siblings are then likely keeping the other threads busy. A team
    /// that finds them busy anyway runs alone: at once if another team is starting at the same
    /// time (passes run concurrently from several threads), otherwise after [`START_TIMEOUT`].
    pub fn pool_seems_free() -> bool {
        rayon_core::current_thread_has_pending_tasks() != Some(true)
    }

    /// Makes [`cores`] return `n` (0: the real count again), so that tests on a small machine run
    /// teams of more members than it has cores (slowly: members wait for cores, but the same
    /// bits). Not for production use.
    #[doc(hidden)]
    pub fn assume_cores(n: usize) {
        ASSUMED_CORES.store(n, Relaxed);
    }

    /// Marks the team broken if its member unwinds, so that the others stop waiting.
    struct Member<'a>(&'a Lockstep);

    impl Drop for Member<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.0.broken.store(true, Relaxed);
            }
        }
    }

    /// The start: members join, the first one decides whether the team runs.
    const PENDING: u8 = 0;
    const GO: u8 = 1;
    const ALONE: u8 = 2;
    /// Set in `joined` once the first member stopped waiting: later members must not join.
    const CLOSED: usize = 1 << (usize::BITS - 1);

    /// Teams whose first member is waiting for the others to start, and how many teams ever
    /// began waiting (process-wide). Two teams starting at once on one pool each hold a worker
    /// while waiting for the other's: neither starts until the timeout. So a first member that
    /// finds another team waiting, or sees one begin to wait, runs its pass alone at once; the
    /// two passes then run side by side, one per thread.
    static WAITING: AtomicUsize = AtomicUsize::new(0);
    static BEGUN: AtomicUsize = AtomicUsize::new(0);

    /// A first member's place among the waiting teams, given up when it drops (decided or
    /// unwound).
    struct Waiting {
        crowded_at_start: bool,
        begun: usize,
    }

    impl Waiting {
        fn enter() -> Self {
            let crowded_at_start = WAITING.fetch_add(1, AcqRel) > 0;
            Waiting { crowded_at_start, begun: BEGUN.fetch_add(1, AcqRel).wrapping_add(1) }
        }

        /// Another team was waiting when this one began, or has begun waiting since.
        fn crowded(&self) -> bool {
            self.crowded_at_start || BEGUN.load(Acquire) != self.begun
        }
    }

    impl Drop for Waiting {
        fn drop(&mut self) {
            WAITING.fetch_sub(1, AcqRel);
        }
    }

    /// Runs `member(u, lockstep)` for every `u` in `0..members` at the same time, each on its own
    /// thread of the current rayon pool, the calling thread running member 0. Members wait for
    /// each other with `lockstep.wait()`, so all of them must run at once: if the pool has not
    /// started the others within [`START_TIMEOUT`], or another team is starting at the same time
    /// (see `WAITING`), the calling thread runs `alone()` instead and the members that had
    /// started return without running. `member` must not use rayon itself
    /// (a member waiting in a join could pick up another member's start and wait for itself).
    pub fn team<M, A>(members: usize, member: M, alone: A)
    where
        M: Fn(usize, &Lockstep) + Sync,
        A: FnOnce() + Send,
    {
        team_with_timeout(members, START_TIMEOUT, member, alone)
    }

    pub(super) fn team_with_timeout<M, A>(members: usize, timeout: Duration, member: M, alone: A)
    where
        M: Fn(usize, &Lockstep) + Sync,
        A: FnOnce() + Send,
    {
        let members = members.max(1);
        let lockstep = Lockstep::new(members);
        let (joined, decision) = (AtomicUsize::new(0), AtomicU8::new(PENDING));
        let alone = Mutex::new(Some(alone));
        let start = |u: usize| {
            if u == 0 {
                let deadline = Instant::now() + timeout;
                let waiting = Waiting::enter();
                loop {
                    let j = joined.load(Acquire);
                    if j == members - 1 {
                        decision.store(GO, Release);
                        break;
                    }
                    if (waiting.crowded() || Instant::now() >= deadline) && joined.compare_exchange(j, j | CLOSED, AcqRel, Acquire).is_ok() {
                        decision.store(ALONE, Release);
                        drop(waiting);
                        let alone = alone.lock().unwrap_or_else(|e| e.into_inner()).take();
                        if let Some(alone) = alone {
                            alone();
                        }
                        return;
                    }
                    core::hint::spin_loop();
                }
            } else {
                let mut j = joined.load(Acquire);
                loop {
                    if j & CLOSED != 0 {
                        return;
                    }
                    match joined.compare_exchange_weak(j, j + 1, AcqRel, Acquire) {
                        Ok(_) => break,
                        Err(now) => j = now,
                    }
                }
                loop {
                    match decision.load(Acquire) {
                        GO => break,
                        ALONE => return,
                        _ => core::hint::spin_loop(),
                    }
                }
            }
            let _member = Member(&lockstep);
            member(u, &lockstep);
        };
        spread(0, members, &start);
    }

    /// Runs `f(u)` for `u` in `lo..hi`, halving the range with `rayon::join` (the caller's thread
    /// takes the lowest `u`).
    fn spread<F: Fn(usize) + Sync>(lo: usize, hi: usize, f: &F) {
        if hi - lo <= 1 {
            f(lo);
            return;
        }
        let mid = lo + (hi - lo).div_ceil(2);
        rayon::join(|| spread(lo, mid, f), || spread(mid, hi, f));
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::sync::atomic::AtomicU64;
        use std::sync::mpsc;

        /// The team tests one at a time: a team waiting to start in one test would make another
        /// test's team run alone (`WAITING` is process-wide).
        fn serial() -> std::sync::MutexGuard<'static, ()> {
            static SERIAL: Mutex<()> = Mutex::new(());
            SERIAL.lock().unwrap_or_else(|e| e.into_inner())
        }

        /// A pool of 2 threads whose second thread is blocked until the sender sends (or drops).
        fn half_blocked_pool() -> (rayon::ThreadPool, mpsc::Sender<()>) {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
            let (release, blocked) = mpsc::channel::<()>();
            let (started, is_started) = mpsc::channel::<()>();
            pool.spawn(move || {
                started.send(()).unwrap();
                _ = blocked.recv();
            });
            is_started.recv().unwrap();
            (pool, release)
        }

        /// Members see each other's writes after a `wait`, phase after phase.
        #[test]
        fn members_move_in_lockstep() {
            let _serial = serial();
            for threads in [2usize, 3, 4] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                let slots: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
                let sums = Mutex::new(Vec::new());
                pool.install(|| {
                    team_with_timeout(
                        threads,
                        Duration::from_secs(60),
                        |u, lockstep| {
                            for phase in 1..=50u64 {
                                slots[u].store(phase * 100 + u as u64, Relaxed);
                                lockstep.wait();
                                let seen: u64 = slots.iter().map(|s| s.load(Relaxed) / 100).sum();
                                sums.lock().unwrap().push((phase, seen));
                                lockstep.wait();
                            }
                        },
                        || panic!("a free pool of {threads} threads must start the team"),
                    )
                });
                let sums = sums.into_inner().unwrap();
                assert_eq!(sums.len(), 50 * threads);
                assert!(sums.iter().all(|&(phase, seen)| seen == phase * threads as u64), "{threads} threads");
            }
        }

        /// A pool whose other thread is busy runs the pass alone rather than waiting forever.
        #[test]
        fn a_busy_pool_runs_alone() {
            let _serial = serial();
            let (pool, release) = half_blocked_pool();
            let (ran, members) = (AtomicBool::new(false), AtomicUsize::new(0));
            pool.install(|| {
                team_with_timeout(2, Duration::from_millis(5), |_, _| _ = members.fetch_add(1, Relaxed), || ran.store(true, Relaxed))
            });
            release.send(()).unwrap();
            assert!(ran.load(Relaxed));
            assert_eq!(members.load(Relaxed), 0);
        }

        /// Two teams waiting to start at the same time (each pool's other thread is busy here, as
        /// when two passes start at once on one pool) both run alone at once, long before their
        /// start timeout.
        #[test]
        fn teams_starting_together_run_alone_at_once() {
            let _serial = serial();
            let (done, finished) = mpsc::channel::<usize>();
            let mut releases = Vec::new();
            for t in 0..2 {
                let (pool, release) = half_blocked_pool();
                releases.push(release);
                let done = done.clone();
                std::thread::spawn(move || {
                    pool.install(|| team_with_timeout(2, Duration::from_secs(3600), |_, _| {}, || done.send(t).unwrap()))
                });
                if t == 0 {
                    // The first team is waiting before the second begins.
                    while WAITING.load(Acquire) == 0 {
                        std::thread::yield_now();
                    }
                }
            }
            let mut alone: Vec<usize> = (0..2)
                .map(|_| finished.recv_timeout(Duration::from_secs(60)).expect("a team kept waiting while another was starting"))
                .collect();
            alone.sort_unstable();
            assert_eq!(alone, [0, 1]);
            drop(releases);
        }

        /// A member's panic reaches the caller instead of leaving the others waiting.
        #[test]
        fn a_panicking_member_does_not_hang_the_team() {
            let _serial = serial();
            let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pool.install(|| {
                    team_with_timeout(
                        2,
                        Duration::from_secs(60),
                        |u, lockstep| {
                            if u == 1 {
                                panic!("member 1 fails");
                            }
                            lockstep.wait();
                        },
                        || {},
                    )
                })
            }));
            assert!(result.is_err());
        }
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
