//! The encoder layers on a team of threads that stays together for the whole pass, attention
//! split by heads and the rest by token rows (`std`, 2+ threads, one batch row, no cache,
//! absolute positions, int8 Q, K and V). Member `u` of `n` owns heads `H_u` and token rows `R_u`:
//!
//! ```text
//! per layer, member u:
//!   q, k, v [T, H_u] = x·W{q,k,v}[H_u]ᵀ + b         all T rows: every member's quantized rows
//!   ctx[T, H_u]      = attention of heads H_u         every query row against every key
//!   ── wait for every member ──
//!   a = LayerNorm(ctx[R_u]·Woᵀ + bo + x[R_u])         rows R_u: their context from every member
//!   x = LayerNorm(act(a·Wiᵀ + bi)·W2ᵀ + b2 + a)
//!   x[R_u] quantized for the next layer's Q, K, V
//!   ── wait for every member ──
//! ```
//!
//! Why not rows all the way (`layer::forward`, which the pass uses otherwise): there every thread
//! reads the keys and values the other threads computed, from the other cores' caches (128 KiB
//! per layer and thread at seq 128 with two threads), and the pass forks and joins once per
//! layer. Here the keys and values of a head stay with the member that computed them; what
//! crosses cores is the quantized layer input (T·H bytes) and the context of a member's rows, and
//! the members wait for each other by spinning (`parallel::Lockstep`) instead of a fork and join.
//! A member's Q, K and V projections read only its heads' weights.
//!
//! Every value is computed by the same code as with one thread: a GEMM's output rows and columns
//! are independent (integer products, then a per-element epilogue), and so are attention's heads
//! and query rows. The outputs are bit-identical whatever the thread count
//! (`tests/tests/threads.rs`). If the pool cannot start every member at once (its threads are
//! busy), the calling thread runs the members' phases one after the other (`parallel::team`).
//!
//! Buffers a member alone uses sit behind a `Mutex`, buffers one member writes and the others read
//! after a wait behind an `RwLock` (the layer input, which each member copies its rows into, is
//! one buffer, so that a member's Q, K and V are one GEMM each over all rows): uncontended but
//! for those copies, since the waits order the phases.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use core::ops::Range;

use super::weights::{LayerWeights, Linear, Matrix, Weights};
use super::{attention, feed_forward, Inputs, Scratch};
use crate::config::{Config, PositionEmbeddingType};
use crate::kernels::float::generic::kt_len;
use crate::kernels::Kernels;
use crate::ops::linear::{self, Prepared, QuantBuf};
use crate::ops::parallel;
use crate::Error;

/// Row ranges start at multiples of 8 rows (the AVX-512 kernel's row block; AMX runs blocks of
/// 16 and 32 rows, and a range's last rows in a partial one). Keys need no alignment here: a
/// member transposes its heads' keys for all rows.
const ALIGN: usize = 8;

/// The members a pass runs its layers with, or `None` when it runs them layer by layer
/// (`layer::forward`): one thread, several batch rows, a cache, relative positions, an observer,
/// Q, K or V not packed int8, heads whose columns do not start on a 16-channel panel, too little
/// work to split, or a pool busy with other work (`parallel::pool_seems_free`: a layer-by-layer
/// pass shares the threads through rayon's joins), or more threads than heads. One member per
/// thread, at most one per core.
pub fn members(w: &Weights<'_>, inputs: &Inputs<'_>, cached: bool, observed: bool) -> Option<usize> {
    let c = &w.config;
    // As many members as threads (and cores): with more threads than heads, splitting rows
    // keeps every thread busy.
    let n = parallel::threads().min(parallel::cores());
    if n < 2 || n > c.num_attention_heads as usize || inputs.batch != 1 || cached || observed || c.position_embedding_type != PositionEmbeddingType::Absolute || !parallel::pool_seems_free() {
        return None;
    }
    let (h, i, t) = (c.hidden_size as usize, c.intermediate_size as usize, inputs.seq);
    if !c.head_dim().is_multiple_of(crate::kernels::pack::PANEL_N) || t < n || !parallel::splits(t, 2 * t * h + (h + 2 * i) * h + 3 * h * h) {
        return None;
    }
    // Every layer's Q, K and V are packed int8 and split at every member's heads (a member's
    // projections read the other members' rows quantized, and `heads` takes these column ranges).
    let heads = c.num_attention_heads as usize;
    let splits_at_heads = |lin: &Linear<'_>| {
        matches!(lin.weight, Matrix::I8 { packed: true, .. })
            && lin.in_features == h
            && (0..n).all(|u| {
                let cols = head_columns(heads, c.head_dim(), n, u);
                lin.columns(cols.start, cols.end).is_some()
            })
    };
    for l in 0..c.num_hidden_layers as usize {
        let lw = w.layer(l).ok()?;
        if ![lw.query, lw.key, lw.value].iter().all(splits_at_heads) {
            return None;
        }
    }
    Some(n)
}

/// Member `u`'s output columns of Q, K and V: its heads' (`heads·u/n..heads·(u+1)/n`) `D` columns
/// each.
fn head_columns(heads: usize, d: usize, n: usize, u: usize) -> Range<usize> {
    heads * u / n * d..heads * (u + 1) / n * d
}

/// What member `u` alone uses while it computes its heads.
struct HeadBufs<'s> {
    /// [T, H_u] its heads' queries, keys and values.
    q: &'s mut [f32],
    k: &'s mut [f32],
    v: &'s mut [f32],
    /// Its keys transposed (`kt_len(H_u, T)`).
    kt: &'s mut [f32],
    /// Probabilities of a block of query rows.
    scores: &'s mut [f32],
}

/// What member `u` alone uses while it computes its rows.
struct RowBufs<'s> {
    /// [R_u, H] hidden states and the attention block's output.
    x: &'s mut [f32],
    a: &'s mut [f32],
    /// [R_u, I] the FFN's intermediate rows (first the gathered context).
    work: &'s mut [f32],
    /// Room for the quantizations of these rows.
    q: &'s mut [i8],
    scales: &'s mut [f32],
}

/// The layer input quantized for Q, K and V: [T, H] bytes and [T] scales, each member writing its
/// rows, then every member reading all of them.
struct LayerInput<'s> {
    q: &'s mut [i8],
    scales: &'s mut [f32],
}

struct Team<'s, 'w> {
    c: &'w Config,
    layers: Vec<LayerWeights<'w>>,
    kernels: Kernels,
    /// Token rows T (= keys), hidden size.
    t: usize,
    h: usize,
    allowed: &'s [f32],
    /// Member `u`'s token rows and output columns (its heads' `head·D..`).
    rows: Vec<Range<usize>>,
    cols: Vec<Range<usize>>,
    heads: Vec<Mutex<HeadBufs<'s>>>,
    row_bufs: Vec<Mutex<RowBufs<'s>>>,
    input: RwLock<LayerInput<'s>>,
    /// [T, H_u] the context of member `u`'s heads.
    ctx: Vec<RwLock<&'s mut [f32]>>,
}

/// Runs every layer on `bufs.x` with `members` threads (from [`members`]).
pub fn forward(w: &Weights<'_>, inputs: &Inputs<'_>, bufs: &mut Scratch<'_>, members: usize) -> Result<(), Error> {
    let c = &w.config;
    let layers = (0..c.num_hidden_layers as usize).map(|l| w.layer(l)).collect::<Result<Vec<_>, _>>()?;
    if layers.is_empty() {
        return Ok(());
    }
    let team = Team::new(c, layers, inputs, bufs, members);
    let (team, n) = (&team, members);
    parallel::team(
        n,
        |u, lockstep| team.run(u..u + 1, || lockstep.wait()),
        // The pool could not start the others: the same phases, one member after another.
        || team.run(0..n, || {}),
    );
    Ok(())
}

/// Splits `s` into consecutive parts of the given lengths.
fn parts<T>(mut s: &mut [T], lens: impl Iterator<Item = usize>) -> Vec<&mut [T]> {
    let mut out = Vec::new();
    for len in lens {
        let (head, rest) = core::mem::take(&mut s).split_at_mut(len);
        out.push(head);
        s = rest;
    }
    out
}

fn lock<'a, T>(m: &'a Mutex<T>) -> MutexGuard<'a, T> {
    // A poisoned lock means another member panicked, which the pass reports; no value read here
    // is returned then.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<'a, T>(l: &'a RwLock<T>) -> RwLockReadGuard<'a, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<'a, T>(l: &'a RwLock<T>) -> RwLockWriteGuard<'a, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

impl<'s, 'w> Team<'s, 'w> {
    fn new(c: &'w Config, layers: Vec<LayerWeights<'w>>, inputs: &Inputs<'_>, bufs: &'s mut Scratch<'_>, n: usize) -> Self {
        let (t, h, i) = (inputs.seq, c.hidden_size as usize, c.intermediate_size as usize);
        let (heads, d) = (c.num_attention_heads as usize, c.head_dim());
        let (qw, kernels) = (bufs.quant_width(t), bufs.quant.kernels);
        let per = t.div_ceil(n).div_ceil(ALIGN) * ALIGN;
        let rows: Vec<_> = (0..n).map(|u| (u * per).min(t)..((u + 1) * per).min(t)).collect();
        let cols: Vec<_> = (0..n).map(|u| head_columns(heads, d, n, u)).collect();
        // The key mask (`attention::keys` without a cache): 1.0 where a key may be attended.
        let allowed = &mut bufs.allowed[..t];
        for (j, a) in allowed.iter_mut().enumerate() {
            *a = if attention::attends(inputs.attention_mask, j) { 1.0 } else { 0.0 };
        }
        let by_cols = |f: &dyn Fn(usize) -> usize| cols.iter().map(|r| f(r.len())).collect::<Vec<_>>();
        let by_rows = |width: usize| rows.iter().map(|r| r.len() * width).collect::<Vec<_>>();
        // Each member attends in blocks of T/n query rows.
        let block = t / n * t;
        let q = parts(&mut bufs.q[..], by_cols(&|w| t * w).into_iter());
        let k = parts(&mut bufs.k[..], by_cols(&|w| t * w).into_iter());
        let v = parts(&mut bufs.v[..], by_cols(&|w| t * w).into_iter());
        let kt = parts(&mut bufs.kt[..], by_cols(&|w| kt_len(w, t)).into_iter());
        let scores = parts(&mut bufs.scores[..], (0..n).map(|_| block));
        let ctx = parts(&mut bufs.ctx[..], by_cols(&|w| t * w).into_iter());
        let x = parts(&mut bufs.x[..], by_rows(h).into_iter());
        let a = parts(&mut bufs.a[..], by_rows(h).into_iter());
        let work = parts(&mut bufs.work[..], by_rows(i).into_iter());
        let quant_q = parts(&mut bufs.quant.q[..], by_rows(qw).into_iter());
        let quant_s = parts(&mut bufs.quant.scales[..], by_rows(1).into_iter());
        let head_bufs = q.into_iter().zip(k).zip(v).zip(kt).zip(scores);
        let head_bufs = head_bufs.map(|((((q, k), v), kt), scores)| Mutex::new(HeadBufs { q, k, v, kt, scores })).collect();
        let row_bufs = x.into_iter().zip(a).zip(work).zip(quant_q).zip(quant_s);
        let row_bufs = row_bufs.map(|((((x, a), work), q), scales)| Mutex::new(RowBufs { x, a, work, q, scales })).collect();
        // The spare buffers of the layer-by-layer pass (`layer::NextKeys::Spare`), unused here.
        let input = LayerInput { q: &mut bytemuck::cast_slice_mut(&mut bufs.k_next[..(t * h).div_ceil(4)])[..t * h], scales: &mut bufs.v_next[..t] };
        Team {
            c,
            layers,
            kernels,
            t,
            h,
            allowed,
            rows,
            cols,
            heads: head_bufs,
            row_bufs,
            input: RwLock::new(input),
            ctx: ctx.into_iter().map(RwLock::new).collect(),
        }
    }

    /// The whole pass of `members` (one, in lockstep with the others through `wait`, or all of
    /// them one after another), phase by phase.
    fn run(&self, members: Range<usize>, wait: impl Fn()) {
        for u in members.clone() {
            self.quantize_for(u, 0, &mut lock(&self.row_bufs[u]));
        }
        wait();
        for l in 0..self.layers.len() {
            members.clone().for_each(|u| self.heads(u, l));
            wait();
            members.clone().for_each(|u| self.rows(u, l));
            if l + 1 < self.layers.len() {
                wait();
            }
        }
    }

    /// Member `u`'s rows of `x` quantized for layer `l`'s Q, K and V (which share their input)
    /// into its own room, then copied into the layer input every member reads.
    fn quantize_for(&self, u: usize, l: usize, rb: &mut RowBufs<'_>) {
        let (lw, h, r) = (&self.layers[l], self.h, self.rows[u].clone());
        let mut buf = QuantBuf { q: &mut *rb.q, scales: &mut *rb.scales, kernels: self.kernels };
        linear::prepare(&rb.x[..r.len() * h], r.len(), h, &[&lw.query, &lw.key, &lw.value], &mut buf);
        let mut input = write(&self.input);
        input.q[r.start * h..r.end * h].copy_from_slice(&rb.q[..r.len() * h]);
        input.scales[r.clone()].copy_from_slice(&rb.scales[..r.len()]);
    }

    /// Layer `l`'s Q, K and V of member `u`'s heads for every row, then their attention.
    fn heads(&self, u: usize, l: usize) {
        let (lw, c, h, t) = (&self.layers[l], self.c, self.h, self.t);
        let cols = self.cols[u].clone();
        let cw = cols.len();
        let mut hb = lock(&self.heads[u]);
        let hb = &mut *hb;
        let part = |lin: &Linear<'w>| lin.columns(cols.start, cols.end).expect("`members` checked every layer's column ranges");
        let (wq, wk, wv) = (part(&lw.query), part(&lw.key), part(&lw.value));
        {
            let x = read(&self.input);
            let input = Prepared::quantized(&x.q[..], &x.scales[..], t, h, self.kernels);
            linear::linear_rows(&input, &wq, &mut hb.q[..t * cw]);
            linear::linear_rows(&input, &wk, &mut hb.k[..t * cw]);
            linear::linear_rows(&input, &wv, &mut hb.v[..t * cw]);
        }
        self.kernels.keys_blocked(&hb.k[..t * cw], cw, &mut hb.kt[..kt_len(cw, t)]);
        let mut ctx = write(&self.ctx[u]);
        let block = (hb.scores.len() / t).max(1);
        for i0 in (0..t).step_by(block) {
            let i1 = (i0 + block).min(t);
            let (q, scores) = (&hb.q[i0 * cw..i1 * cw], &mut hb.scores[..(i1 - i0) * t]);
            attention::attend_absolute(c, cw, i0, q, &hb.kt[..], &hb.v[..t * cw], t, self.allowed, scores, &mut ctx[i0 * cw..i1 * cw], self.kernels);
        }
    }

    /// Layer `l` for member `u`'s rows after attention: the output projection and LayerNorm, the
    /// FFN and LayerNorm, and the quantization of the result for the next layer.
    fn rows(&self, u: usize, l: usize) {
        let (lw, c, h) = (&self.layers[l], self.c, self.h);
        let r = self.rows[u].clone();
        let nr = r.len();
        if nr == 0 {
            return;
        }
        let mut rb = lock(&self.row_bufs[u]);
        let rb = &mut *rb;
        {
            let mut quant = QuantBuf { q: &mut *rb.q, scales: &mut *rb.scales, kernels: self.kernels };
            // The context of these rows, gathered from every member's heads a few rows at a time
            // and quantized for `Wo` while they are in L1 (`prepare_mapped`).
            let ctx: Vec<_> = self.ctx.iter().map(read).collect();
            let mut row = r.start;
            let input = linear::prepare_mapped(&mut rb.work[..nr * h], nr, h, &[&lw.attention_output], &mut quant, |group| {
                for dst in group.chunks_exact_mut(h) {
                    for (part, cols) in ctx.iter().zip(&self.cols) {
                        dst[cols.clone()].copy_from_slice(&part[row * cols.len()..(row + 1) * cols.len()]);
                    }
                    row += 1;
                }
            });
            attention::output_prepared(lw, c, &input, &rb.x[..], &mut rb.a[..]);
            feed_forward::forward(lw, c, &rb.a[..], &mut rb.work[..], &mut rb.x[..], &mut quant);
        }
        if l + 1 < self.layers.len() {
            self.quantize_for(u, l + 1, rb);
        }
    }
}
