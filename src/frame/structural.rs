//! Bracket counting over raw JSON bytes, 64 bytes at a time.
//!
//! The framer never parses a record it will not keep; it only needs to know where each record
//! ends, and whether it might hold what the selection wants. [`Nesting`] answers both by turning
//! every 64-byte block into bit masks (quotes, backslashes, opening and closing brackets, and
//! the prefilter's [`Anchors`]), working out which bytes are inside strings from the quote
//! parity, and counting the brackets outside strings. A block that cannot bring the depth down
//! to where the record ends costs two popcounts; only the last block of a record is walked
//! bracket by bracket. With AVX-512 or AVX2 (chosen at run time) this runs several times faster
//! than the decompressor that feeds it.
//!
//! The scanner is resumable: it carries the string state, a pending escape and the depth across
//! calls, so a value may arrive in any number of pieces. Full validation happens when a record is
//! decoded.

mod spans;

pub use spans::{Span, SpanStop};

/// Why [`Nesting::run`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// A closing bracket brought the depth back to the floor; the value ends at this index
    /// (exclusive), so the closing bracket is the byte before it.
    Closed(usize),
    /// An array opened at the watched depth; it sits at this index and the depth now includes it.
    Opened(usize),
    /// The bytes ran out inside the value; call again with more.
    NeedMore,
}

/// The most anchors a scan looks for; a selection with more is not anchored (every record is
/// checked).
pub const MAX_ANCHORS: usize = 8;

/// Byte patterns that mark a record worth a closer look: a quote followed by the first two
/// bytes of a needle (`"ia` for `iam.amazonaws.com`). A needle the prefilter looks for is a whole
/// JSON string value (an event name, an event source), so it always follows a quote, even inside
/// a JSON string holding JSON (`\"iam.amazonaws.com\"`). The scanner tests the patterns in the
/// same pass as the brackets, so finding candidates costs no second pass over the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchors {
    pairs: [[u8; 2]; MAX_ANCHORS],
    len: u8,
    /// Every record counts as anchored (no patterns to look for).
    all: bool,
}

impl Default for Anchors {
    fn default() -> Self {
        Anchors::ALL
    }
}

impl Anchors {
    /// Every record is anchored.
    pub const ALL: Anchors = Anchors {
        pairs: [[0; 2]; MAX_ANCHORS],
        len: 0,
        all: true,
    };

    /// Anchors for these needles; every record is anchored when one is shorter than two bytes
    /// or there are more than [`MAX_ANCHORS`] distinct prefixes.
    pub fn new<'n>(needles: impl IntoIterator<Item = &'n [u8]>) -> Anchors {
        let mut a = Anchors {
            all: false,
            ..Anchors::ALL
        };
        for needle in needles {
            let [x, y, ..] = needle else {
                return Anchors::ALL;
            };
            let pair = [*x, *y];
            if a.pairs[..a.len as usize].contains(&pair) {
                continue;
            }
            if a.len as usize == MAX_ANCHORS {
                return Anchors::ALL;
            }
            a.pairs[a.len as usize] = pair;
            a.len += 1;
        }
        a
    }

    fn pairs(&self) -> &[[u8; 2]] {
        &self.pairs[..self.len as usize]
    }
}

/// What the scanner saw in a value, since [`Nesting::take_flags`] was last called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// A backslash followed by `u`: a `\u` escape, or one nested in a JSON string (`\\u`, as in
    /// lookup-events' `CloudTrailEvent`). Any character may be written as `\uXXXX`, so such a
    /// record might spell a needle no byte pattern can see: it must be decoded.
    pub escapes: bool,
    /// One of the [`Anchors`] (always true with [`Anchors::ALL`]).
    pub anchored: bool,
}

/// Resumable bracket-counting state for one JSON value.
///
/// For valid JSON the depth alone says where a value ends, so the scanner counts brackets and
/// does not track their kinds; callers check the kind of the bracket where a value closes (a
/// record must end with `}`), which catches the damage that matters: a cut-off record whose
/// missing brackets are made up by those of the records after it.
#[derive(Debug, Default, Clone)]
pub struct Nesting {
    depth: u32,
    in_string: bool,
    /// The first byte of the next block is escaped by a backslash at the end of this one.
    escape_next: bool,
    /// The last byte of the previous block was a backslash (escaping or escaped).
    backslash_last: bool,
    flags: Flags,
    anchors: Anchors,
}

impl Nesting {
    /// An empty scanner (depth 0, outside any string) with no anchors (every value anchored).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty scanner looking for `anchors`.
    pub fn with_anchors(anchors: Anchors) -> Self {
        Nesting {
            anchors,
            ..Self::default()
        }
    }

    /// Forgets everything but the anchors.
    pub fn reset(&mut self) {
        *self = Nesting::with_anchors(self.anchors);
    }

    /// The number of brackets currently open.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Records an opening bracket that the caller consumed itself.
    pub fn open(&mut self) {
        self.depth += 1;
    }

    /// Records a closing bracket that the caller consumed itself.
    pub fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// What was seen since the last call (which clears it).
    pub fn take_flags(&mut self) -> Flags {
        let mut flags = std::mem::take(&mut self.flags);
        flags.anchored |= self.anchors.all;
        flags
    }

    /// The vector instructions the scanner runs with on this CPU (for `--version`).
    pub fn simd_level() -> &'static str {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let common = has!("pclmulqdq") && has!("popcnt") && has!("bmi1");
            if common && has!("avx512f") && has!("avx512bw") {
                return "AVX-512";
            }
            if common && has!("avx512bw") {
                return "AVX-512BW";
            }
            if common && has!("avx2") {
                return "AVX2";
            }
            return "SSE2";
        }
        #[allow(unreachable_code)]
        "portable"
    }

    /// Scans `buf[from..]` until the depth falls to `floor`, or an array (`[`) opens at depth
    /// `watch` (when given), or the bytes run out.
    ///
    /// On `NeedMore` the whole of `buf[from..]` has been consumed: resume with the bytes that
    /// follow. After `Closed` or `Opened` the scanner is between tokens, so the caller may
    /// resume at the returned index. Anchors are looked for in `buf[from..]`, with the two bytes
    /// before `from` (when in `buf`) as context.
    pub fn run(&mut self, buf: &[u8], from: usize, floor: u32, watch: Option<u32>) -> Stop {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let common = has!("pclmulqdq") && has!("popcnt") && has!("bmi1");
            if common && has!("avx512bw") {
                // SAFETY: the CPU supports every feature `run_avx512` enables, checked just above.
                return unsafe { self.run_avx512(buf, from, floor, watch) };
            }
            if common && has!("avx2") {
                // SAFETY: the CPU supports every feature `run_avx2` enables, checked just above.
                return unsafe { self.run_avx2(buf, from, floor, watch) };
            }
        }
        self.run_with(buf, from, floor, watch, classify, prefix_xor)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,pclmulqdq,popcnt,bmi1")]
    unsafe fn run_avx2(&mut self, buf: &[u8], from: usize, floor: u32, watch: Option<u32>) -> Stop {
        // SAFETY (of the closure's call): `run_with` passes pointers valid for [-2, 64).
        self.run_with(
            buf,
            from,
            floor,
            watch,
            |b, a| unsafe { classify_avx2(b, a) },
            |x| prefix_xor_clmul(x),
        )
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512bw,pclmulqdq,popcnt,bmi1")]
    unsafe fn run_avx512(
        &mut self,
        buf: &[u8],
        from: usize,
        floor: u32,
        watch: Option<u32>,
    ) -> Stop {
        // SAFETY (of the closure's call): `run_with` passes pointers valid for [-2, 64).
        let generic = |n: &mut Nesting, buf: &[u8], from: usize| {
            n.run_with(
                buf,
                from,
                floor,
                watch,
                |b, a| unsafe { classify_avx512(b, a) },
                |x| prefix_xor_clmul(x),
            )
        };
        if self.anchors.pairs().len() > 1 {
            return generic(self, buf, from);
        }
        let mut base = from;
        // A first block without two bytes of context before it goes the generic way.
        if base < 2 && base < buf.len() {
            let end = (base + 64).min(buf.len());
            match generic(self, &buf[..end], base) {
                Stop::NeedMore => base = end,
                stop => return stop,
            }
        }
        let full = base + (buf.len().saturating_sub(base)) / 64 * 64;
        // (After the head block, `base` is at least 2 whenever a whole block is left.)
        if base < full
            && let Some(stop) = self.bulk_avx512(buf, &mut base, full, floor, watch)
        {
            return stop;
        }
        if base < buf.len() {
            generic(self, buf, base)
        } else {
            Stop::NeedMore
        }
    }

    /// The hot loop: whole 64-byte blocks from `*base` to `end`, with two bytes of context
    /// before each, at most one anchor pair, constants in registers. Leaves `*base` where it
    /// stopped; returns the stop if the value ended or a watched bracket opened.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512bw,pclmulqdq,popcnt,bmi1")]
    fn bulk_avx512(
        &mut self,
        buf: &[u8],
        base: &mut usize,
        end: usize,
        floor: u32,
        watch: Option<u32>,
    ) -> Option<Stop> {
        use std::arch::x86_64::{
            _mm512_cmpeq_epi8_mask, _mm512_loadu_si512, _mm512_mask_cmpeq_epi8_mask,
            _mm512_or_si512, _mm512_set1_epi8,
        };
        debug_assert!(*base >= 2 && end <= buf.len() && (end - *base).is_multiple_of(64));
        let quiet_above = watch.map_or(floor, |w| w.max(floor));
        let watch = watch.unwrap_or(u32::MAX);
        let pair = self.anchors.pairs().first().copied();
        let [x, y] = pair.unwrap_or([0, 0]);
        let (quote, backslash, case) = (
            _mm512_set1_epi8(b'"' as i8),
            _mm512_set1_epi8(b'\\' as i8),
            _mm512_set1_epi8(0x20),
        );
        let (open, close) = (_mm512_set1_epi8(b'{' as i8), _mm512_set1_epi8(b'}' as i8));
        let (vx, vy) = (_mm512_set1_epi8(x as i8), _mm512_set1_epi8(y as i8));
        let mut depth = self.depth;
        let mut carry = if self.in_string { u64::MAX } else { 0 };
        let (mut anchored, mut unicode) = (0u64, 0u64);
        let mut stop = None;
        let mut at = *base;
        while at < end {
            let p = buf[at - 2..at + 64].as_ptr();
            // SAFETY: `p` points at buf[at - 2], and buf[at - 2 .. at + 64] is in bounds.
            let (v, v1, v2) = unsafe {
                (
                    _mm512_loadu_si512(p.add(2).cast()),
                    _mm512_loadu_si512(p.add(1).cast()),
                    _mm512_loadu_si512(p.cast()),
                )
            };
            let folded = _mm512_or_si512(v, case);
            let quotes = _mm512_cmpeq_epi8_mask(v, quote);
            let slashes = _mm512_cmpeq_epi8_mask(v, backslash);
            let opens = _mm512_cmpeq_epi8_mask(folded, open);
            let closes = _mm512_cmpeq_epi8_mask(folded, close);
            let anchor = if pair.is_some() {
                let first = _mm512_mask_cmpeq_epi8_mask(_mm512_cmpeq_epi8_mask(v2, quote), v1, vx);
                _mm512_mask_cmpeq_epi8_mask(first, v, vy)
            } else {
                0
            };
            let (escaped, escapes) = if slashes == 0 && !self.escape_next && !self.backslash_last {
                (0, 0)
            } else {
                self.escaped_bits(&buf[at..at + 64], slashes)
            };
            let inside = prefix_xor_clmul(quotes & !escaped) ^ carry;
            carry = 0u64.wrapping_sub(inside >> 63);
            let (opens, closes) = (opens & !inside, closes & !inside);
            let shut = closes.count_ones();
            if depth > quiet_above + shut {
                depth = depth + opens.count_ones() - shut;
                anchored |= anchor;
                unicode |= escapes;
                at += 64;
                continue;
            }
            let block = &buf[at..at + 64];
            if let Some((found, bit)) = walk(&mut depth, opens, closes, floor, watch, block) {
                // Flags after the stop belong to what follows.
                anchored |= anchor & (u64::MAX >> (63 - bit));
                unicode |= escapes & (u64::MAX >> (63 - bit));
                stop = Some(match found {
                    Stop::Closed(i) => Stop::Closed(at + i),
                    Stop::Opened(i) => Stop::Opened(at + i),
                    Stop::NeedMore => Stop::NeedMore,
                });
                carry = 0;
                self.escape_next = false;
                self.backslash_last = false;
                break;
            }
            anchored |= anchor;
            unicode |= escapes;
            at += 64;
        }
        *base = at;
        self.depth = depth;
        self.in_string = carry != 0;
        self.flags.anchored |= anchored != 0;
        self.flags.escapes |= unicode != 0;
        stop
    }

    /// The scanning loop, generic over the block classifier. `classify` gets a pointer to a
    /// block that is valid for the 2 bytes before it and the 64 bytes from it.
    #[inline(always)]
    fn run_with(
        &mut self,
        buf: &[u8],
        from: usize,
        floor: u32,
        watch: Option<u32>,
        classify: impl Fn(*const u8, &Anchors) -> Masks,
        prefix_xor: impl Fn(u64) -> u64,
    ) -> Stop {
        // No event can happen in a block that never brings the depth down to this level.
        let quiet_above = watch.map_or(floor, |w| w.max(floor));
        let watch = watch.unwrap_or(u32::MAX);
        let anchors = self.anchors;
        // The state lives in locals for the loop and is written back once.
        let mut depth = self.depth;
        let mut carry = if self.in_string { u64::MAX } else { 0 };
        let (mut anchored, mut unicode) = (0u64, 0u64);
        let mut base = from;
        let mut stop = Stop::NeedMore;
        while base < buf.len() {
            let len = (buf.len() - base).min(64);
            let masks = if base >= 2 && len == 64 {
                classify(buf[base..base + 64].as_ptr(), &anchors)
            } else {
                // The first and last blocks: copy them, with their two bytes of context, into a
                // padded block.
                let mut padded = [b' '; 66];
                let context = base.min(2);
                padded[2 - context..2 + len].copy_from_slice(&buf[base - context..base + len]);
                classify(padded[2..].as_ptr(), &anchors).truncate(len)
            };
            let (escaped, escapes) =
                if masks.backslash == 0 && !self.escape_next && !self.backslash_last {
                    (0, 0)
                } else {
                    self.escaped_bits(&buf[base..base + len], masks.backslash)
                };
            let inside = prefix_xor(masks.quote & !escaped) ^ carry;
            // All ones when the block ends inside a string.
            carry = 0u64.wrapping_sub(inside >> (len - 1) & 1);
            let opens = masks.open & !inside;
            let closes = masks.close & !inside;
            let shut = closes.count_ones();
            if depth > quiet_above + shut {
                // The common case inside a record: just count.
                depth = depth + opens.count_ones() - shut;
                anchored |= masks.anchor;
                unicode |= escapes;
                base += 64;
                continue;
            }
            let block = &buf[base..base + len];
            if let Some((found, at)) = walk(&mut depth, opens, closes, floor, watch, block) {
                // Only the flags up to the stop belong to this value.
                anchored |= masks.anchor & (u64::MAX >> (63 - at));
                unicode |= escapes & (u64::MAX >> (63 - at));
                stop = match found {
                    Stop::Closed(i) => Stop::Closed(base + i),
                    Stop::Opened(i) => Stop::Opened(base + i),
                    Stop::NeedMore => Stop::NeedMore,
                };
                carry = 0;
                self.escape_next = false;
                self.backslash_last = false;
                break;
            }
            anchored |= masks.anchor;
            unicode |= escapes;
            base += 64;
        }
        self.depth = depth;
        self.in_string = carry != 0;
        self.flags.anchored |= anchored != 0;
        self.flags.escapes |= unicode != 0;
        stop
    }

    /// The bytes of `block` that follow an escaping backslash, and the backslashes followed by
    /// `u` (bit 0 when the backslash ended the previous block).
    ///
    /// Backslashes are rare outside policy documents, so this walks them one by one instead of
    /// doing the branch-free carry arithmetic: a backslash escapes the next byte unless it is
    /// itself escaped.
    fn escaped_bits(&mut self, block: &[u8], backslash: u64) -> (u64, u64) {
        let len = block.len();
        let mut escaped = 0u64;
        let mut unicode = 0u64;
        if std::mem::take(&mut self.backslash_last) && block[0] == b'u' {
            unicode |= 1;
        }
        if std::mem::take(&mut self.escape_next) {
            escaped = 1;
        }
        let mut pending = backslash;
        while pending != 0 {
            let i = pending.trailing_zeros() as usize;
            pending &= pending - 1;
            let bit = 1u64 << i;
            if i == len - 1 {
                self.backslash_last = true;
            } else if block[i + 1] == b'u' {
                unicode |= bit;
            }
            if escaped & bit != 0 {
                continue;
            }
            if i == len - 1 {
                self.escape_next = true;
            } else {
                escaped |= bit << 1;
            }
        }
        (escaped, unicode)
    }
}

/// Visits the brackets of one block (`block`, its bytes) in order, for the block where something
/// may happen: the depth reaching `floor` (`Closed`) or an array opening at depth `watch`
/// (`Opened`: only an array can be a records array, so objects do not stop the scan). Returns
/// the stop (with indexes relative to the block) and the bit position of the bracket it stopped
/// at. A bracket outside a string is never escaped, so the scanner is between tokens wherever
/// this stops.
#[inline(always)]
fn walk(
    depth: &mut u32,
    opens: u64,
    closes: u64,
    floor: u32,
    watch: u32,
    block: &[u8],
) -> Option<(Stop, u32)> {
    let mut brackets = opens | closes;
    while brackets != 0 {
        let i = brackets.trailing_zeros();
        brackets &= brackets - 1;
        if opens >> i & 1 == 1 {
            *depth += 1;
            if *depth - 1 == watch && block[i as usize] == b'[' {
                return Some((Stop::Opened(i as usize), i));
            }
        } else {
            // A closing bracket at depth 0 is the caller's business: report it as the end.
            *depth = depth.saturating_sub(1);
            if *depth <= floor {
                return Some((Stop::Closed(i as usize + 1), i));
            }
        }
    }
    None
}

/// Checks, one byte at a time, that every bracket of `value` (outside strings) is closed by
/// one of its own kind. Returns the index of the first offending byte.
///
/// The block scanner only counts brackets; the framer calls this on the rare record it cannot
/// vouch for otherwise (the last one before the data ends).
pub fn check_brackets(value: &[u8]) -> Result<(), usize> {
    let mut stack = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in value.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => stack.push(b),
            b'}' | b']' if stack.pop() != Some(b - 2) => return Err(i),
            _ => {}
        }
    }
    if stack.is_empty() && !in_string {
        Ok(())
    } else {
        Err(value.len())
    }
}

/// Per-block bit masks: bit `i` describes byte `i` of the block.
#[derive(Debug, Clone, Copy)]
struct Masks {
    quote: u64,
    backslash: u64,
    /// `{` or `[`.
    open: u64,
    /// `}` or `]`.
    close: u64,
    /// The last byte of an anchor pattern.
    anchor: u64,
}

impl Masks {
    fn truncate(self, len: usize) -> Masks {
        let keep = if len >= 64 {
            u64::MAX
        } else {
            (1u64 << len) - 1
        };
        Masks {
            quote: self.quote & keep,
            backslash: self.backslash & keep,
            open: self.open & keep,
            close: self.close & keep,
            anchor: self.anchor & keep,
        }
    }
}

/// [`prefix_xor`] in one carry-less multiplication by all ones.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "pclmulqdq")]
#[inline]
fn prefix_xor_clmul(x: u64) -> u64 {
    use std::arch::x86_64::{
        _mm_clmulepi64_si128, _mm_cvtsi64_si128, _mm_cvtsi128_si64, _mm_set_epi64x,
    };
    let product = _mm_clmulepi64_si128(_mm_cvtsi64_si128(x as i64), _mm_set_epi64x(0, -1), 0);
    _mm_cvtsi128_si64(product) as u64
}

/// Bit `i` of the result is the parity of the set bits of `x` at positions `0..=i`.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw")]
#[inline]
/// # Safety
/// `p` must be valid for reads of the 2 bytes before it and the 64 bytes from it.
unsafe fn classify_avx512(p: *const u8, anchors: &Anchors) -> Masks {
    use std::arch::x86_64::{
        _mm512_cmpeq_epi8_mask, _mm512_loadu_si512, _mm512_mask_cmpeq_epi8_mask, _mm512_or_si512,
        _mm512_set1_epi8,
    };
    // SAFETY: the caller guarantees p - 2 .. p + 64 is readable.
    let (v, v1, v2) = unsafe {
        (
            _mm512_loadu_si512(p.cast()),
            _mm512_loadu_si512(p.sub(1).cast()),
            _mm512_loadu_si512(p.sub(2).cast()),
        )
    };
    let quote = _mm512_set1_epi8(b'"' as i8);
    // `[` | 0x20 == `{` and `]` | 0x20 == `}`: one comparison finds both kinds.
    let folded = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
    let mut anchor = 0;
    if !anchors.pairs().is_empty() {
        // A quote two bytes back, then the pair: masked compares chain the conditions.
        let quoted = _mm512_cmpeq_epi8_mask(v2, quote);
        for &[x, y] in anchors.pairs() {
            let first = _mm512_mask_cmpeq_epi8_mask(quoted, v1, _mm512_set1_epi8(x as i8));
            anchor |= _mm512_mask_cmpeq_epi8_mask(first, v, _mm512_set1_epi8(y as i8));
        }
    }
    Masks {
        quote: _mm512_cmpeq_epi8_mask(v, quote),
        backslash: _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\\' as i8)),
        open: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'{' as i8)),
        close: _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(b'}' as i8)),
        anchor,
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
/// # Safety
/// `p` must be valid for reads of the 2 bytes before it and the 64 bytes from it.
unsafe fn classify_avx2(p: *const u8, anchors: &Anchors) -> Masks {
    use std::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8,
    };
    // SAFETY: the caller guarantees p - 2 .. p + 64 is readable; every load is within it.
    let load = |offset: isize| unsafe { _mm256_loadu_si256(p.offset(offset).cast::<__m256i>()) };
    let bits = |lo, hi| {
        u64::from(_mm256_movemask_epi8(lo) as u32)
            | u64::from(_mm256_movemask_epi8(hi) as u32) << 32
    };
    let (lo, hi) = (load(0), load(32));
    let quote = _mm256_set1_epi8(b'"' as i8);
    let case = _mm256_set1_epi8(0x20);
    let (flo, fhi) = (_mm256_or_si256(lo, case), _mm256_or_si256(hi, case));
    let open = _mm256_set1_epi8(b'{' as i8);
    let close = _mm256_set1_epi8(b'}' as i8);
    let backslash = _mm256_set1_epi8(b'\\' as i8);
    let mut anchor = 0;
    if !anchors.pairs().is_empty() {
        let (q_lo, q_hi) = (
            _mm256_cmpeq_epi8(load(-2), quote),
            _mm256_cmpeq_epi8(load(30), quote),
        );
        let (p_lo, p_hi) = (load(-1), load(31));
        for &[x, y] in anchors.pairs() {
            let (x, y) = (_mm256_set1_epi8(x as i8), _mm256_set1_epi8(y as i8));
            let m_lo = _mm256_and_si256(
                _mm256_and_si256(q_lo, _mm256_cmpeq_epi8(p_lo, x)),
                _mm256_cmpeq_epi8(lo, y),
            );
            let m_hi = _mm256_and_si256(
                _mm256_and_si256(q_hi, _mm256_cmpeq_epi8(p_hi, x)),
                _mm256_cmpeq_epi8(hi, y),
            );
            anchor |= bits(m_lo, m_hi);
        }
    }
    Masks {
        quote: bits(_mm256_cmpeq_epi8(lo, quote), _mm256_cmpeq_epi8(hi, quote)),
        backslash: bits(
            _mm256_cmpeq_epi8(lo, backslash),
            _mm256_cmpeq_epi8(hi, backslash),
        ),
        open: bits(_mm256_cmpeq_epi8(flo, open), _mm256_cmpeq_epi8(fhi, open)),
        close: bits(_mm256_cmpeq_epi8(flo, close), _mm256_cmpeq_epi8(fhi, close)),
        anchor,
    }
}

/// The portable classifier (also the reference the SIMD ones are tested against).
/// `p` must be valid for reads of the 2 bytes before it and the 64 bytes from it.
fn classify(p: *const u8, anchors: &Anchors) -> Masks {
    // SAFETY: every caller passes a pointer into a buffer with 2 bytes of context before it
    // and 64 bytes from it (`run_with` guarantees it).
    let bytes = unsafe { std::slice::from_raw_parts(p.sub(2), 66) };
    let mut m = Masks {
        quote: 0,
        backslash: 0,
        open: 0,
        close: 0,
        anchor: 0,
    };
    for i in 0..64 {
        let b = bytes[i + 2];
        let bit = 1u64 << i;
        match b | 0x20 {
            b'{' => m.open |= bit,
            b'}' => m.close |= bit,
            _ => {}
        }
        match b {
            b'"' => m.quote |= bit,
            b'\\' => m.backslash |= bit,
            _ => {}
        }
        if bytes[i] == b'"' && anchors.pairs().contains(&[bytes[i + 1], b]) {
            m.anchor |= bit;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scans a value that starts at byte 0 of `text`, feeding it in pieces of `piece` bytes.
    fn end_of_value(text: &[u8], piece: usize) -> Option<usize> {
        let mut n = Nesting::new();
        n.open();
        let mut from = 1;
        while from < text.len() {
            let to = (from + piece).min(text.len());
            match n.run(&text[..to], from, 0, None) {
                Stop::Closed(end) => return Some(end),
                Stop::NeedMore => from = to,
                other => panic!("unexpected {other:?}"),
            }
        }
        None
    }

    #[test]
    fn finds_the_end_of_nested_values_whatever_the_piece_size() {
        let text = br#"{"a":[1,{"b":"}]\"{"}],"c":"\\","d":{"e":"x\\\"]"}} tail"#;
        let expected = text.iter().position(|&b| b == b't').unwrap() - 1;
        for piece in [1, 2, 3, 7, 63, 64, 65, 200] {
            assert_eq!(end_of_value(text, piece), Some(expected), "piece {piece}");
        }
    }

    #[test]
    fn brackets_inside_strings_and_escapes_do_not_count() {
        let long = format!(
            r#"{{"k":"{}\\\\","x":"{}\\\"}}"}}"#,
            "]".repeat(100),
            "[".repeat(70)
        );
        let end = end_of_value(long.as_bytes(), 64).unwrap();
        assert_eq!(end, long.len());
    }

    #[test]
    fn backslash_at_block_end_escapes_the_next_block() {
        // A string whose escaped quote straddles the 64-byte boundary.
        let mut text = br#"{"k":""#.to_vec();
        while text.len() < 63 {
            text.push(b'a');
        }
        text.extend_from_slice(br#"\"}"}"#);
        assert_eq!(text[63], b'\\');
        assert_eq!(end_of_value(&text, 64), Some(text.len()));
        assert_eq!(end_of_value(&text, 63), Some(text.len()));
    }

    #[test]
    fn unclosed_values_need_more() {
        let mut n = Nesting::new();
        n.open();
        assert_eq!(n.run(br#"{"a":[1,2]"#, 1, 0, None), Stop::NeedMore);
        assert_eq!(n.depth(), 1);
    }

    #[test]
    fn watch_reports_arrays_opening_at_one_depth() {
        // Objects at the watched depth, and arrays deeper down, do not stop the scan.
        let text = br#"{"x":{"y":[]},"z":[1],"Records":[{"a":1}]}"#;
        let mut n = Nesting::new();
        n.open();
        assert_eq!(n.run(text, 1, 0, Some(1)), Stop::Opened(18));
        assert_eq!(n.run(text, 19, 1, None), Stop::Closed(21));
        assert_eq!(n.run(text, 21, 0, Some(1)), Stop::Opened(32));
        assert_eq!(n.depth(), 2);
    }

    #[test]
    fn quiet_blocks_are_counted_in_bulk() {
        // Deep inside a record, whole blocks are skipped by counting; the end is still exact.
        let inner = format!("{}{}", "\"k\":[1,{\"v\":\"x\"}],".repeat(40), "\"z\":0");
        let text = format!("{{\"a\":{{{inner}}},\"b\":{{}}}}");
        assert_eq!(end_of_value(text.as_bytes(), 1 << 20), Some(text.len()));
    }

    #[test]
    fn notes_unicode_escapes_even_across_blocks() {
        let mut n = Nesting::new();
        n.open();
        n.run(br#"{"eventName":"Enable\u004dFADevice"}"#, 1, 0, None);
        assert!(n.take_flags().escapes);
        assert!(!n.take_flags().escapes);
        let mut text = br#"{"k":""#.to_vec();
        while text.len() < 63 {
            text.push(b'a');
        }
        text.extend_from_slice(br#"\u0041"}"#);
        let mut n = Nesting::new();
        n.open();
        assert_eq!(n.run(&text, 1, 0, None), Stop::Closed(text.len()));
        assert!(n.take_flags().escapes);
        // A nested escape, as in a JSON string holding JSON: `\\u0041` unescapes to `\u0041`.
        let mut n = Nesting::new();
        n.open();
        n.run(br#"{"k":"a\\u0041"}"#, 1, 0, None);
        assert!(n.take_flags().escapes);
        // Across a block boundary, with the backslash escaped or escaping.
        for prefix in [&br#"\"#[..], &br#"\\"#[..]] {
            let mut text = br#"{"k":""#.to_vec();
            while text.len() + prefix.len() < 64 {
                text.push(b'a');
            }
            text.extend_from_slice(prefix);
            text.extend_from_slice(br#"u0041"}"#);
            assert_eq!(text[63], b'\\');
            let mut n = Nesting::new();
            n.open();
            assert_eq!(n.run(&text, 1, 0, None), Stop::Closed(text.len()));
            assert!(n.take_flags().escapes, "{}", String::from_utf8_lossy(&text));
        }
        let mut n = Nesting::new();
        n.open();
        n.run(br#"{"k":"a\\nb\"u"}"#, 1, 0, None);
        assert!(!n.take_flags().escapes);
    }

    /// Whether `run` flags the value in `text` (starting at byte `start`, a `{`) as anchored.
    fn anchored(text: &[u8], start: usize, anchors: Anchors) -> bool {
        let mut n = Nesting::with_anchors(anchors);
        n.open();
        assert!(matches!(n.run(text, start + 1, 0, None), Stop::Closed(_)));
        n.take_flags().anchored
    }

    #[test]
    fn anchors_are_found_wherever_they_fall() {
        let anchors = Anchors::new([&b"iam.amazonaws.com"[..]]);
        for pad in 0..140 {
            let text = format!(
                "{{\"x\":\"{}\",\"eventSource\":\"iam.amazonaws.com\"}}",
                "a".repeat(pad)
            );
            assert!(anchored(text.as_bytes(), 0, anchors), "pad {pad}");
            // Behind a prefix, so that the value starts anywhere in a block.
            let shifted = format!("{}{text}", " ".repeat(pad % 64));
            assert!(
                anchored(shifted.as_bytes(), pad % 64, anchors),
                "shift {pad}"
            );
            let other = text.replace("iam.", "sts.");
            assert!(!anchored(other.as_bytes(), 0, anchors), "pad {pad}");
            // An anchor after the value's end belongs to the next value.
            let after = format!("{}{{\"a\":\"iam.x\"}}", other);
            assert!(!anchored(after.as_bytes(), 0, anchors), "pad {pad}");
        }
        // Inside a JSON string holding JSON, the quote is escaped: still an anchor.
        assert!(anchored(
            br#"{"CloudTrailEvent":"{\"eventSource\":\"iam.amazonaws.com\"}"}"#,
            0,
            anchors
        ));
        assert!(anchored(b"{}", 0, Anchors::ALL));
    }

    #[test]
    fn every_classifier_agrees_with_the_portable_one() {
        let anchors = Anchors::new([&b"ab"[..], b"\"b", b"{a"]);
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let mut block = [0u8; 66];
            for b in &mut block {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                *b = b"ab\"{}[]\\ x"[(rng % 10) as usize];
            }
            let p = block[2..].as_ptr();
            let reference = classify(p, &anchors);
            let same = |m: Masks| {
                (m.quote, m.backslash, m.open, m.close, m.anchor)
                    == (
                        reference.quote,
                        reference.backslash,
                        reference.open,
                        reference.close,
                        reference.anchor,
                    )
            };
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: feature checked; the block has 2 bytes of context and 64 bytes.
                    assert!(same(unsafe { classify_avx2(p, &anchors) }));
                }
                if std::arch::is_x86_feature_detected!("avx512bw") {
                    // SAFETY: as above.
                    assert!(same(unsafe { classify_avx512(p, &anchors) }));
                }
            }
            assert!(same(reference));
        }
    }

    #[test]
    fn tiny_buffers_at_the_start_scan_safely() {
        // Found by fuzzing: a value resumed at the very start of a buffer of one or two bytes.
        for text in [&b"}"[..], b"\"}", b"", b" ]"] {
            for from in 0..=text.len() {
                let mut n = Nesting::with_anchors(Anchors::new([&b"ab"[..]]));
                n.open();
                let _ = n.run(text, from, 0, None);
            }
        }
    }

    #[test]
    fn anchors_are_limited() {
        let eight: Vec<Vec<u8>> = (0..8u8).map(|i| vec![b'a' + i, b'x']).collect();
        assert_ne!(Anchors::new(eight.iter().map(Vec::as_slice)), Anchors::ALL);
        let nine: Vec<Vec<u8>> = (0..9u8).map(|i| vec![b'a' + i, b'x']).collect();
        assert_eq!(Anchors::new(nine.iter().map(Vec::as_slice)), Anchors::ALL);
        assert_eq!(Anchors::new([&b"ab"[..], b"abc", b"abd"]).len, 1);
    }

    #[test]
    fn check_brackets_matches_kinds() {
        assert_eq!(check_brackets(br#"{"a":[1,{"b":"]}"}]}"#), Ok(()));
        assert_eq!(check_brackets(br#"{"a":[1}]"#), Err(7));
        assert_eq!(check_brackets(br#"{"a":{"b":1]}"#), Err(11));
        assert_eq!(check_brackets(br#"{"a":"x"#), Err(7));
    }

    #[test]
    fn survives_deep_nesting_without_recursion() {
        let depth = 100_000;
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(end_of_value(text.as_bytes(), 4096), Some(2 * depth));
    }

    #[test]
    fn prefix_xor_is_running_parity() {
        assert_eq!(prefix_xor(0b1001), 0b0111);
        assert_eq!(prefix_xor(1 << 63), 1 << 63);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("pclmulqdq") {
            for x in [0b1001u64, 1 << 63, 0xDEAD_BEEF_0123_4567, u64::MAX] {
                // SAFETY: feature checked above.
                assert_eq!(unsafe { prefix_xor_clmul(x) }, prefix_xor(x));
            }
        }
    }
}
