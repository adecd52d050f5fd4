//! ELECTRA sequence classification on Arm MPS2 boards run under QEMU: the AN386 (Cortex-M4F,
//! `thumbv7em-none-eabihf`, the default target) and the AN505 (Cortex-M33 with the DSP extension,
//! `thumbv8m.main-none-eabihf`); `build.rs` picks the board's memory map from the target.
//!
//! Two model files converted from the `seqcls` golden fixture sit in flash (f32 and int8). For each:
//! load it in place (`Model::from_bytes`, no copy, no heap), run one forward pass of the fixture's
//! `batch × seq` tokens on a static scratch buffer, print the outputs over semihosting and compare
//! them with the numbers transformers produced. The process exit status is 0 only if every model
//! passes; a panic exits with 1 (panic-semihosting's `exit` feature).

#![no_std]
#![no_main]

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{DWT, SYST};
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprint, hprintln};
use electra_engine::kernels::{Isa, Kernels};
use electra_engine::{DType, Inputs, Model, ModelFile};
use panic_semihosting as _;

mod fixture {
    /// One output tensor as transformers computed it.
    pub struct Expected {
        pub name: &'static str,
        pub shape: &'static [usize],
        pub data: &'static [f32],
    }
    include!(concat!(env!("OUT_DIR"), "/fixture.rs"));
}

/// Keeps a byte blob at a 64-byte address, as the model file format requires (every tensor region
/// is 64-byte aligned relative to the file start, and is read in place).
#[repr(C, align(64))]
struct Aligned<T: ?Sized>(T);

// Ordinary statics: they land in .rodata, i.e. in flash, and are read where they lie.
static F32_MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!("../model/seqcls.f32.elt"));
static INT8_MODEL: &Aligned<[u8]> = &Aligned(*include_bytes!("../model/seqcls.int8.elt"));

/// Scratch budget in f32 per token of the fixture batch. This model needs a few hundred; the exact
/// figure comes from `Model::scratch_len` at run time and a too-small buffer fails cleanly.
const SCRATCH_PER_TOKEN: usize = 512;
const SCRATCH_F32: usize = fixture::BATCH * fixture::SEQ * SCRATCH_PER_TOKEN;
/// Room for every output tensor of the head (seqcls: `[batch, num_labels]`).
const OUT_F32: usize = 256;

/// How a model's outputs must agree with transformers'.
#[derive(Clone, Copy)]
enum Check {
    /// Exact weights: every value within `max_abs` of the reference.
    Exact { max_abs: f32 },
    /// Quantized weights: per-row cosine similarity at least `min_cos` and the same argmax per row.
    Quantized { min_cos: f32 },
}

struct Case {
    name: &'static str,
    bytes: &'static [u8],
    dtype: DType,
    check: Check,
}

#[entry]
fn main() -> ! {
    // cortex-m-rt turns `static mut` at the top of `#[entry]` into a safe `&'static mut`: the buffer
    // lives in .bss (RAM, zeroed at reset, no flash) and nothing else can name it.
    static mut SCRATCH: [f32; SCRATCH_F32] = [0.0; SCRATCH_F32];
    let scratch: &mut [f32] = SCRATCH;
    let mut out = [0.0f32; OUT_F32];

    let stack = StackMeter::paint();
    let cycles = CycleCounter::start();
    let cases = [
        Case {
            name: "seqcls.f32",
            bytes: &F32_MODEL.0,
            dtype: DType::F32,
            check: Check::Exact { max_abs: 1e-4 },
        },
        Case {
            name: "seqcls.int8",
            bytes: &INT8_MODEL.0,
            dtype: DType::I8,
            check: Check::Quantized { min_cos: 0.99 },
        },
    ];
    hprintln!(
        "electra-engine on {}: {} models, fixture batch {} x seq {}, scratch budget {} B",
        env!("FIRMWARE_BOARD"),
        cases.len(),
        fixture::BATCH,
        fixture::SEQ,
        SCRATCH_F32 * 4
    );

    let (mut passed, mut failed) = (0u32, 0u32);
    for case in &cases {
        match run(case, scratch, &mut out, &cycles) {
            Ok(()) => {
                hprintln!("PASS {}", case.name);
                passed += 1;
            }
            Err(why) => {
                hprintln!("FAIL {}: {}", case.name, why);
                failed += 1;
            }
        }
    }
    hprintln!("RAM: scratch {} B (static, .bss), peak stack {} B", SCRATCH_F32 * 4, stack.peak());
    hprintln!("firmware: {} passed, {} failed", passed, failed);
    debug::exit(if failed == 0 { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    #[allow(clippy::empty_loop)]
    loop {}
}

/// A short reason for a failed case (printed after `FAIL <name>:`).
enum Failure {
    Engine(electra_engine::Error),
    WrongDType(DType),
    WrongKernels(&'static str),
    KernelsDiffer,
    ScratchTooSmall { needed: usize },
    OutputTooSmall { needed: usize },
    MissingOutput(&'static str),
    ShapeMismatch(&'static str),
    MaxAbs { err: f32, bound: f32 },
    Cosine { cos: f32, bound: f32 },
    Argmax { row: usize, got: usize, want: usize },
}

impl From<electra_engine::Error> for Failure {
    fn from(e: electra_engine::Error) -> Self {
        Failure::Engine(e)
    }
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Failure::Engine(e) => write!(f, "engine error: {e}"),
            Failure::WrongDType(d) => write!(f, "model file holds {d:?} weights, not the expected dtype"),
            Failure::WrongKernels(k) => write!(f, "the engine picked the {k} kernels, not the dsp ones"),
            Failure::KernelsDiffer => write!(f, "the dsp and scalar int8 GEMMs gave different outputs"),
            Failure::ScratchTooSmall { needed } => {
                write!(f, "static scratch too small: {needed} f32 needed, {SCRATCH_F32} available (raise SCRATCH_PER_TOKEN)")
            }
            Failure::OutputTooSmall { needed } => {
                write!(f, "output buffer too small: {needed} f32 needed, {OUT_F32} available")
            }
            Failure::MissingOutput(n) => write!(f, "the model has no output `{n}`"),
            Failure::ShapeMismatch(n) => write!(f, "output `{n}` has a different shape than expected"),
            Failure::MaxAbs { err, bound } => write!(f, "max |err| = {err:e} > {bound:e}"),
            Failure::Cosine { cos, bound } => write!(f, "min row cosine = {cos} < {bound}"),
            Failure::Argmax { row, got, want } => write!(f, "row {row}: argmax {got}, expected {want}"),
        }
    }
}

// The engine's `Error` is ~170 B (it carries a tensor name without allocating): fine to return here.
#[allow(clippy::result_large_err)]
fn run(case: &Case, scratch: &mut [f32], out: &mut [f32], cycles: &CycleCounter) -> Result<(), Failure> {
    use fixture::{BATCH, SEQ};
    hprintln!("== {}: {} bytes of model in flash @ {:p}", case.name, case.bytes.len(), case.bytes.as_ptr());

    // Parsing checks the header/table CRC and every offset; the data CRC is a separate pass over
    // the whole blob (cheap at this size, and it catches a corrupted flash image).
    let model = Model::from_bytes(case.bytes)?;
    model.file().verify_data()?;
    let c = model.config();
    let dtype = model.file().header.weight_dtype;
    hprintln!(
        "   CRC ok; {:?} head, {:?} weights, {} layers, hidden {}, {} heads, vocab {}; kernels {}",
        model.head,
        dtype,
        c.num_hidden_layers,
        c.hidden_size,
        c.num_attention_heads,
        c.vocab_size,
        model.kernels().name()
    );
    if dtype != case.dtype {
        return Err(Failure::WrongDType(dtype));
    }
    // Both boards' cores have the DSP extension: the int8 GEMM must run on `smlad`, not the scalar
    // loop.
    if model.kernels().isa() != Isa::Dsp {
        return Err(Failure::WrongKernels(model.kernels().name()));
    }

    let needed = model.scratch_len(BATCH, SEQ, 0);
    if needed > scratch.len() {
        return Err(Failure::ScratchTooSmall { needed });
    }
    let out_len = model.output_len(BATCH, SEQ, 1);
    if out_len > out.len() {
        return Err(Failure::OutputTooSmall { needed: out_len });
    }
    hprintln!(
        "   scratch: {} f32 = {} B used of {} B; output {} f32",
        needed,
        needed * 4,
        scratch.len() * 4,
        out_len
    );

    let inputs = Inputs {
        input_ids: &fixture::INPUT_IDS,
        attention_mask: fixture::ATTENTION_MASK,
        token_type_ids: fixture::TOKEN_TYPE_IDS,
        batch: BATCH,
        seq: SEQ,
        choices: 1,
    };
    let t0 = cycles.now();
    model.forward(&inputs, &mut scratch[..needed], &mut out[..out_len])?;
    let t1 = cycles.now();
    let dsp = cycles.elapsed(t0, t1);
    hprintln!("   forward: {}", Count(dsp, cycles.unit()));
    if case.dtype == DType::I8 {
        // The same pass with the portable int8 GEMM, for the DSP kernel's gain (the outputs are
        // bit-identical; only the count is printed).
        let scalar = Model::with_kernels(ModelFile::parse(case.bytes)?, Kernels::scalar())?;
        let mut other = [0.0f32; OUT_F32];
        let t0 = cycles.now();
        scalar.forward(&inputs, &mut scratch[..needed], &mut other[..out_len])?;
        let t1 = cycles.now();
        let plain = cycles.elapsed(t0, t1);
        hprintln!("   forward with the scalar int8 GEMM: {}", Count(plain, cycles.unit()));
        if let (Some(d), Some(p)) = (dsp, plain) {
            if d > 0 {
                hprintln!("   dsp kernels: {:.2}x fewer", p as f32 / d as f32);
            }
        }
        if other[..out_len].iter().zip(&out[..out_len]).any(|(a, b)| a.to_bits() != b.to_bits()) {
            return Err(Failure::KernelsDiffer);
        }
    }

    // Print every output, row by row (the last dimension is one row).
    let (specs, n_specs) = model.outputs(BATCH, SEQ, 1);
    let mut offset = 0;
    for spec in &specs[..n_specs] {
        hprintln!("   {} {:?}:", spec.name, spec.dims());
        let data = &out[offset..offset + spec.len()];
        let cols = spec.dims().last().copied().unwrap_or(1).max(1);
        for (r, row) in data.chunks(cols).enumerate() {
            hprint!("     [{}]", r);
            for v in row {
                hprint!(" {:10.5}", v);
            }
            if spec.name == "logits" {
                if let Some(label) = model.file().labels().nth(argmax(row)) {
                    hprint!("  -> {}", label);
                }
            }
            hprintln!();
        }
        offset += spec.len();
    }

    // Compare with transformers: every expected output must be within the bounds.
    for want in fixture::EXPECTED {
        let mut offset = 0;
        let mut found = None;
        for spec in &specs[..n_specs] {
            if spec.name == want.name {
                found = Some((spec, offset));
                break;
            }
            offset += spec.len();
        }
        let (spec, offset) = found.ok_or(Failure::MissingOutput(want.name))?;
        if spec.dims() != want.shape {
            return Err(Failure::ShapeMismatch(want.name));
        }
        let got = &out[offset..offset + spec.len()];
        let cols = want.shape.last().copied().unwrap_or(1).max(1);
        let err = max_abs_err(got, want.data);
        let cos = got
            .chunks(cols)
            .zip(want.data.chunks(cols))
            .map(|(g, w)| cosine(g, w))
            .fold(f32::INFINITY, f32::min);
        match case.check {
            Check::Exact { max_abs } => {
                if err.is_nan() || err > max_abs {
                    return Err(Failure::MaxAbs { err, bound: max_abs });
                }
                hprintln!("   check {}: max |err| = {:e} <= {:e}", want.name, err, max_abs);
            }
            Check::Quantized { min_cos } => {
                if cos.is_nan() || cos < min_cos {
                    return Err(Failure::Cosine { cos, bound: min_cos });
                }
                for (row, (g, w)) in got.chunks(cols).zip(want.data.chunks(cols)).enumerate() {
                    let (got, want) = (argmax(g), argmax(w));
                    if got != want {
                        return Err(Failure::Argmax { row, got, want });
                    }
                }
                hprintln!(
                    "   check {}: min row cosine = {:.6} >= {}, argmax equal on all {} rows (max |err| = {:e})",
                    want.name,
                    cos,
                    min_cos,
                    got.len() / cols,
                    err
                );
            }
        }
    }
    Ok(())
}

fn max_abs_err(got: &[f32], want: &[f32]) -> f32 {
    // NaN-propagating: a NaN anywhere makes the result NaN, which fails the check.
    got.iter().zip(want).map(|(g, w)| (g - w).abs()).fold(0.0, |m, e| {
        if e.is_nan() || m.is_nan() {
            f32::NAN
        } else {
            m.max(e)
        }
    })
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x as f64, y as f64);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    (ab / libm::sqrt(aa * bb)) as f32
}

/// Index of the largest value (the first one on ties).
fn argmax(xs: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate() {
        if x > xs[best] {
            best = i;
        }
    }
    best
}

/// What a count is in: core cycles (the DWT cycle counter, on silicon) or instructions (QEMU,
/// which does not emulate the DWT counter, run with `-icount shift=0`: SysTick then advances one
/// tick per fixed number of instructions, measured at start-up).
#[derive(Clone, Copy)]
enum Unit {
    Cycles,
    Instructions { per_tick: u32 },
    None,
}

/// A count and its unit, printed as such.
struct Count(Option<u32>, Unit);

impl core::fmt::Display for Count {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match (self.0, self.1) {
            (Some(n), Unit::Cycles) => write!(f, "{n} cycles (DWT CYCCNT)"),
            (Some(n), Unit::Instructions { per_tick }) => {
                write!(f, "{n} instructions (QEMU -icount; SysTick ticks x {per_tick}, +-{per_tick})")
            }
            _ => write!(f, "no counter (DWT CYCCNT and SysTick both still)"),
        }
    }
}

/// The DWT cycle counter when the core runs it (silicon); otherwise SysTick on the core clock,
/// which QEMU with `-icount shift=0` advances by instructions executed.
struct CycleCounter {
    unit: Unit,
}

/// SysTick counts down from its 24-bit reload value.
const SYST_RELOAD: u32 = 0x00FF_FFFF;

impl CycleCounter {
    fn start() -> Self {
        let Some(mut p) = cortex_m::Peripherals::take() else {
            return CycleCounter { unit: Unit::None };
        };
        p.DCB.enable_trace();
        p.DWT.enable_cycle_counter();
        // QEMU leaves CYCCNT at zero: see whether it moves across some busy work.
        let a = DWT::cycle_count();
        cortex_m::asm::delay(1000);
        let b = DWT::cycle_count();
        if a != b {
            return CycleCounter { unit: Unit::Cycles };
        }
        p.SYST.set_clock_source(SystClkSource::Core);
        p.SYST.set_reload(SYST_RELOAD);
        p.SYST.clear_current();
        p.SYST.enable_counter();
        // Instructions per tick: a loop of exactly 2 instructions per iteration, 2^20 times.
        let t0 = SYST::get_current();
        count_down(1 << 20);
        let ticks = t0.wrapping_sub(SYST::get_current()) & SYST_RELOAD;
        if ticks == 0 {
            return CycleCounter { unit: Unit::None };
        }
        let per_tick = ((2u32 << 20) + ticks / 2) / ticks;
        hprintln!("counter: SysTick, {} instructions per tick (calibrated on a 2-instruction loop)", per_tick);
        CycleCounter { unit: Unit::Instructions { per_tick } }
    }

    fn unit(&self) -> Unit {
        self.unit
    }

    fn now(&self) -> u32 {
        match self.unit {
            Unit::Cycles => DWT::cycle_count(),
            Unit::Instructions { .. } => SYST::get_current(),
            Unit::None => 0,
        }
    }

    /// Cycles or instructions between two `now` readings (a SysTick span must stay under 2^24
    /// ticks).
    fn elapsed(&self, t0: u32, t1: u32) -> Option<u32> {
        match self.unit {
            Unit::Cycles => Some(t1.wrapping_sub(t0)),
            Unit::Instructions { per_tick } => Some((t0.wrapping_sub(t1) & SYST_RELOAD) * per_tick),
            Unit::None => None,
        }
    }
}

/// `subs` + `bne`, `n` times.
#[inline(never)]
fn count_down(n: u32) {
    // SAFETY: a register-only loop on the one register it declares.
    unsafe { core::arch::asm!("2:", "subs {n}, #1", "bne 2b", n = inout(reg) n => _, options(nomem, nostack)) };
}

/// Peak stack use, measured by filling the free RAM below the stack with a pattern at start-up
/// and later finding the lowest word that was overwritten.
struct StackMeter {
    bottom: *const u32,
    top: usize,
}

const PAINT: u32 = 0xA5A5_5A5A;

extern "C" {
    // From cortex-m-rt's link.x: the first free RAM byte after .bss/.uninit, and the initial SP.
    static __sheap: u32;
    static _stack_start: u32;
}

impl StackMeter {
    #[inline(never)]
    fn paint() -> Self {
        let bottom = core::ptr::addr_of!(__sheap);
        let top = core::ptr::addr_of!(_stack_start) as usize;
        // Leave the frames live right now (and a margin) alone.
        let limit = cortex_m::register::msp::read() as usize - 256;
        let mut p = bottom as *mut u32;
        while (p as usize) < limit {
            // SAFETY: [__sheap, SP - 256) is RAM that no Rust object occupies: below it are
            // .data/.bss/.uninit, above it the live stack frames; there is no heap and no interrupt
            // is enabled. The pointer is 4-byte aligned (the linker aligns __sheap to 4).
            unsafe {
                core::ptr::write_volatile(p, PAINT);
                p = p.add(1);
            }
        }
        StackMeter { bottom, top }
    }

    /// Bytes between the initial stack pointer and the deepest word the program wrote.
    fn peak(&self) -> usize {
        let mut p = self.bottom;
        // SAFETY: reads the same painted RAM range as `paint`, word by word, stopping at the first
        // overwritten word, which lies below `top` (the live stack is there).
        while (p as usize) < self.top && unsafe { core::ptr::read_volatile(p) } == PAINT {
            // SAFETY: stays within [__sheap, _stack_start), as checked by the loop condition.
            p = unsafe { p.add(1) };
        }
        self.top - p as usize
    }
}
