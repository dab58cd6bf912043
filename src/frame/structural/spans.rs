//! Bulk framing: every member of a records array in one pass.
//!
//! [`Nesting::run`] stops at the end of each value, which suits a state machine that looks at
//! every byte between values. Inside a clean records array that costs more than the scan
//! itself: a record is 24 blocks, and stopping, returning and starting again at every record
//! end is as dear as a few of them. [`Nesting::spans`] instead walks a whole run of members
//! in one loop, noting where each opens and closes at the array's depth, with the flags seen in
//! it; the framer then checks the few bytes between them and hands the records on.

use super::{Flags, Masks, Nesting, classify, prefix_xor};

/// A member of an array found by [`Nesting::spans`]: its first byte (a bracket) is at `start`,
/// its last byte (the matching bracket) just before `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    /// What the scanner saw between `start` and `end`.
    pub flags: Flags,
}

/// Why [`Nesting::spans`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanStop {
    /// It found as many spans as asked for; the last one ends where it stopped.
    Full,
    /// A bracket at this index closed the array (or closed something it should not have).
    Closed(usize),
    /// The bytes ran out.
    NeedMore,
}

/// A span scan between two blocks.
#[derive(Debug, Clone, Copy)]
struct Scan {
    depth: u32,
    /// All ones when the last block ended inside a string.
    carry: u64,
    /// Where the member being scanned opened.
    start: usize,
    /// Flag bits seen in that member so far (any bit set: the flag holds).
    anchored: u64,
    unicode: u64,
}

/// What [`Nesting::spans`] looks for, and where its spans go.
struct Want<'o, 'p> {
    floor: u32,
    limit: usize,
    all_anchored: bool,
    out: &'o mut Vec<Span>,
    /// Told how far the fast loop is about to read (see [`Nesting::spans`]).
    pace: Option<&'p mut (dyn FnMut(usize) + 'p)>,
}

impl Nesting {
    /// Scans the members of the array whose inside is at depth `floor`, from `buf[from]`
    /// (between members, outside any string), and appends each bracketed member to `out` until
    /// `limit` are there, a bracket closes the array, or the bytes run out.
    ///
    /// Only brackets are seen: what lies between the spans (commas, or members that are not
    /// bracketed) is for the caller to check. The scanner's state afterwards is undefined;
    /// callers set it with [`Nesting::between_members`].
    ///
    /// `pace`, when given, is told how far (an index into `buf`) the fast loop is about to
    /// read, every 256 bytes: a caller with other work over the same bytes, work that waits on
    /// its own latency (SHA-256 rounds), does a stretch of it there, and the processor overlaps
    /// part of the two instead of running one after the other.
    pub fn spans(
        &mut self,
        buf: &[u8],
        from: usize,
        floor: u32,
        limit: usize,
        out: &mut Vec<Span>,
        pace: Option<&mut dyn FnMut(usize)>,
    ) -> SpanStop {
        let mut scan = Scan {
            depth: self.depth,
            carry: if self.in_string { u64::MAX } else { 0 },
            start: from,
            anchored: 0,
            unicode: 0,
        };
        let mut want = Want {
            floor,
            limit,
            all_anchored: self.anchors.all,
            out,
            pace,
        };
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let common = has!("pclmulqdq") && has!("popcnt") && has!("bmi1");
            if common && has!("avx512f") && has!("avx512bw") {
                // SAFETY: the CPU supports every feature `spans_avx512` enables, checked just
                // above.
                unsafe {
                    let (scan, want) = (&mut scan, &mut want);
                    match self.anchors.pairs().len() {
                        0 => return self.spans_avx512::<0>(buf, from, scan, want),
                        1 => return self.spans_avx512::<1>(buf, from, scan, want),
                        2 => return self.spans_avx512::<2>(buf, from, scan, want),
                        3 => return self.spans_avx512::<3>(buf, from, scan, want),
                        4 => return self.spans_avx512::<4>(buf, from, scan, want),
                        _ => {}
                    }
                }
            }
            if common && has!("avx512bw") {
                // SAFETY: as above.
                return unsafe { self.spans_any_avx512(buf, from, &mut scan, &mut want) };
            }
            if common && has!("avx2") {
                // SAFETY: as above.
                return unsafe { self.spans_avx2(buf, from, &mut scan, &mut want) };
            }
        }
        let anchors = self.anchors;
        let classify = |b| classify(b, &anchors);
        self.spans_to_end(buf, from, &mut scan, &mut want, classify, prefix_xor)
    }

    /// Puts the scanner between two members of an array whose inside is at `depth`, with no
    /// flags: where it is after a clean member.
    pub fn between_members(&mut self, depth: u32) {
        *self = Nesting {
            depth,
            ..Nesting::with_anchors(self.anchors)
        };
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,pclmulqdq,popcnt,bmi1")]
    unsafe fn spans_avx2(
        &mut self,
        buf: &[u8],
        from: usize,
        scan: &mut Scan,
        want: &mut Want<'_, '_>,
    ) -> SpanStop {
        let anchors = self.anchors;
        // SAFETY (of the closure's call): `spans_with` passes pointers valid for [-2, 64).
        let classify = |b| unsafe { super::classify_avx2(b, &anchors) };
        self.spans_to_end(buf, from, scan, want, classify, |x| {
            super::prefix_xor_clmul(x)
        })
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512bw,pclmulqdq,popcnt,bmi1")]
    unsafe fn spans_any_avx512(
        &mut self,
        buf: &[u8],
        from: usize,
        scan: &mut Scan,
        want: &mut Want<'_, '_>,
    ) -> SpanStop {
        let anchors = self.anchors;
        // SAFETY (of the closure's call): `spans_with` passes pointers valid for [-2, 64).
        let classify = |b| unsafe { super::classify_avx512(b, &anchors) };
        self.spans_to_end(buf, from, scan, want, classify, |x| {
            super::prefix_xor_clmul(x)
        })
    }

    /// The hot path: AVX-512 with `N` anchor pairs (the default selection has one). Whole
    /// 64-byte blocks (with two bytes of context before each) go through a loop that keeps its
    /// constants in registers; the first block of a buffer and the last, partial one go the
    /// generic way.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,pclmulqdq,popcnt,bmi1")]
    unsafe fn spans_avx512<const N: usize>(
        &mut self,
        buf: &[u8],
        from: usize,
        scan: &mut Scan,
        want: &mut Want<'_, '_>,
    ) -> SpanStop {
        use std::arch::x86_64::{
            __m512i, _mm512_cmpeq_epi8_mask, _mm512_loadu_si512, _mm512_mask_cmpeq_epi8_mask,
            _mm512_min_epu8, _mm512_or_si512, _mm512_set1_epi8, _mm512_setzero_si512,
            _mm512_ternarylogic_epi64, _mm512_xor_si512,
        };
        let anchors = self.anchors;
        // SAFETY (of the closure's call): `spans_with` passes pointers valid for [-2, 64).
        let generic = |n: &mut Nesting, from, to, scan: &mut Scan, want: &mut Want<'_, '_>| {
            n.spans_with(
                buf,
                from,
                to,
                scan,
                want,
                |b| unsafe { super::classify_avx512(b, &anchors) },
                |x| super::prefix_xor_clmul(x),
            )
        };
        let mut at = from;
        if at < 2 && at < buf.len() {
            let to = (at + 64).min(buf.len());
            if let Some(stop) = generic(self, at, to, scan, want) {
                return stop;
            }
            at = to;
        }
        let pairs: [(__m512i, __m512i); N] = std::array::from_fn(|i| {
            let [x, y] = anchors.pairs()[i];
            (_mm512_set1_epi8(x as i8), _mm512_set1_epi8(y as i8))
        });
        let (quote, backslash, case) = (
            _mm512_set1_epi8(b'"' as i8),
            _mm512_set1_epi8(b'\\' as i8),
            _mm512_set1_epi8(0x20),
        );
        let (open, close) = (_mm512_set1_epi8(b'{' as i8), _mm512_set1_epi8(b'}' as i8));
        let floor = want.floor;
        // Whole blocks are loaded through this pointer: the loop checks their bounds itself.
        let start = buf.as_ptr();
        loop {
            // The fast loop: blocks with no backslash (and no escape pending) in which no member
            // opens or closes at the floor. It stops, without taking it, at the first block
            // that is anything else.
            let quiet = !self.escape_next && !self.backslash_last;
            let Scan {
                mut depth,
                mut carry,
                mut anchored,
                ..
            } = *scan;
            let mut stopped = None;
            'fast: while quiet && at + 64 <= buf.len() {
                // Backslashes and anchors are rare: look for them in four blocks at once, with
                // vector operations only (a zero byte marks one), and leave them out of the
                // per-block work when there are none.
                let lean = at + 256 <= buf.len() && {
                    let mut zero = _mm512_set1_epi8(-1);
                    for k in 0..4 {
                        // SAFETY: `at` >= 2 after the head block and `at + 256` <= the length,
                        // so buf[at + 64 * k - 2 .. at + 64 * k + 64] is in bounds.
                        let p = unsafe { start.add(at + 64 * k - 2) };
                        // SAFETY: `p` points at 66 readable bytes.
                        let (v, v1, v2) = unsafe {
                            (
                                _mm512_loadu_si512(p.add(2).cast()),
                                _mm512_loadu_si512(p.add(1).cast()),
                                _mm512_loadu_si512(p.cast()),
                            )
                        };
                        zero = _mm512_min_epu8(zero, _mm512_xor_si512(v, backslash));
                        let quoted = _mm512_xor_si512(v2, quote);
                        for &(vx, vy) in &pairs {
                            // Zero where the quote, x and y all match: OR of the differences.
                            let anchor = _mm512_ternarylogic_epi64::<0xFE>(
                                quoted,
                                _mm512_xor_si512(v1, vx),
                                _mm512_xor_si512(v, vy),
                            );
                            zero = _mm512_min_epu8(zero, anchor);
                        }
                    }
                    _mm512_cmpeq_epi8_mask(zero, _mm512_setzero_si512()) == 0
                };
                // The bracket count of one block whose masks are known; leaves the fast loop
                // for a block the count alone cannot take.
                macro_rules! count {
                    ($masks:expr) => {{
                        let masks: Masks = $masks;
                        let inside = super::prefix_xor_clmul(masks.quote) ^ carry;
                        let (opens, closes) = (masks.open & !inside, masks.close & !inside);
                        let shut = closes.count_ones();
                        if depth <= floor + shut {
                            stopped = Some((masks, Some(inside)));
                            break 'fast;
                        }
                        depth = depth + opens.count_ones() - shut;
                        carry = 0u64.wrapping_sub(inside >> 63);
                        anchored |= masks.anchor;
                        at += 64;
                    }};
                }
                if lean {
                    if let Some(pace) = want.pace.as_mut() {
                        pace(at + 256);
                    }
                    for _ in 0..4 {
                        // SAFETY: buf[at .. at + 64] is in bounds (`lean` checked 256 bytes).
                        let v = unsafe { _mm512_loadu_si512(start.add(at).cast()) };
                        let folded = _mm512_or_si512(v, case);
                        count!(Masks {
                            quote: _mm512_cmpeq_epi8_mask(v, quote),
                            backslash: 0,
                            open: _mm512_cmpeq_epi8_mask(folded, open),
                            close: _mm512_cmpeq_epi8_mask(folded, close),
                            anchor: 0,
                        });
                    }
                    continue;
                }
                // SAFETY: `at` >= 2 after the head block and `at + 64` <= the length.
                let p = unsafe { start.add(at - 2) };
                // SAFETY: `p` points at buf[at - 2], and buf[at - 2 .. at + 64] is in bounds.
                let (v, v1, v2) = unsafe {
                    (
                        _mm512_loadu_si512(p.add(2).cast()),
                        _mm512_loadu_si512(p.add(1).cast()),
                        _mm512_loadu_si512(p.cast()),
                    )
                };
                let folded = _mm512_or_si512(v, case);
                let masks = Masks {
                    quote: _mm512_cmpeq_epi8_mask(v, quote),
                    backslash: _mm512_cmpeq_epi8_mask(v, backslash),
                    open: _mm512_cmpeq_epi8_mask(folded, open),
                    close: _mm512_cmpeq_epi8_mask(folded, close),
                    anchor: if N > 0 {
                        let quoted = _mm512_cmpeq_epi8_mask(v2, quote);
                        pairs.iter().fold(0, |anchor, &(vx, vy)| {
                            let first = _mm512_mask_cmpeq_epi8_mask(quoted, v1, vx);
                            anchor | _mm512_mask_cmpeq_epi8_mask(first, v, vy)
                        })
                    } else {
                        0
                    },
                };
                if masks.backslash != 0 {
                    stopped = Some((masks, None));
                    break;
                }
                count!(masks);
            }
            scan.depth = depth;
            scan.carry = carry;
            scan.anchored = anchored;
            if at + 64 > buf.len() {
                break;
            }
            // The block the fast loop would not take (or, after an escape, the next one).
            // The string mask of a block the count stopped at comes along in a register: worked
            // out again from the masks, which went through the stack, the multiplication would
            // load 16 bytes where 8 were stored and stall on the store (a tenth of the framer's
            // time). The fallback is for a block the count did not see.
            let (masks, counted) = match stopped {
                Some(stopped) => stopped,
                // SAFETY: buf[at - 2 .. at + 64] is in bounds (`at` >= 2 after the head).
                None => (
                    unsafe { super::classify_avx512(buf[at..].as_ptr(), &anchors) },
                    None,
                ),
            };
            let stop = if quiet && masks.backslash == 0 {
                // A member opens or closes here: walk the brackets (no escapes to settle).
                let inside =
                    counted.unwrap_or_else(|| super::prefix_xor_clmul(masks.quote) ^ scan.carry);
                scan.carry = 0u64.wrapping_sub(inside >> 63);
                let block = Block {
                    base: at,
                    opens: masks.open & !inside,
                    closes: masks.close & !inside,
                    anchor: masks.anchor,
                    escapes: 0,
                };
                block.walk(scan, want)
            } else {
                self.span_block(buf, at, 64, masks, scan, want)
            };
            if let Some(stop) = stop {
                return stop;
            }
            at += 64;
        }
        if at < buf.len()
            && let Some(stop) = generic(self, at, buf.len(), scan, want)
        {
            return stop;
        }
        SpanStop::NeedMore
    }

    /// [`Nesting::spans_with`]'s work on one classified block, out of line for the fast loop.
    #[inline(never)]
    fn span_block(
        &mut self,
        buf: &[u8],
        base: usize,
        len: usize,
        masks: Masks,
        scan: &mut Scan,
        want: &mut Want<'_, '_>,
    ) -> Option<SpanStop> {
        self.step(buf, base, len, masks, scan, want, prefix_xor)
    }

    /// Takes one classified block of `len` bytes at `base`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        buf: &[u8],
        base: usize,
        len: usize,
        masks: Masks,
        scan: &mut Scan,
        want: &mut Want<'_, '_>,
        prefix_xor: impl Fn(u64) -> u64,
    ) -> Option<SpanStop> {
        let (escaped, escapes) =
            if masks.backslash == 0 && !self.escape_next && !self.backslash_last {
                (0, 0)
            } else {
                self.escaped_bits(&buf[base..base + len], masks.backslash)
            };
        let inside = prefix_xor(masks.quote & !escaped) ^ scan.carry;
        scan.carry = 0u64.wrapping_sub(inside >> (len - 1) & 1);
        let block = Block {
            base,
            opens: masks.open & !inside,
            closes: masks.close & !inside,
            anchor: masks.anchor,
            escapes,
        };
        let shut = block.closes.count_ones();
        if scan.depth > want.floor + shut {
            // Inside a member, and it does not end in this block.
            scan.depth = scan.depth + block.opens.count_ones() - shut;
            scan.anchored |= block.anchor;
            scan.unicode |= block.escapes;
            None
        } else {
            block.walk(scan, want)
        }
    }

    /// [`Nesting::spans_with`] over the rest of `buf`, for the kernels that classify every block
    /// the same way.
    #[inline(always)]
    fn spans_to_end(
        &mut self,
        buf: &[u8],
        from: usize,
        scan: &mut Scan,
        want: &mut Want<'_, '_>,
        classify: impl Fn(*const u8) -> Masks,
        prefix_xor: impl Fn(u64) -> u64,
    ) -> SpanStop {
        self.spans_with(buf, from, buf.len(), scan, want, classify, prefix_xor)
            .unwrap_or(SpanStop::NeedMore)
    }

    /// The loop of [`Nesting::spans`] over the blocks from `from` to `to`, generic over the
    /// block classifier like [`Nesting::run`]'s. Returns the stop, or `None` at `to`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn spans_with(
        &mut self,
        buf: &[u8],
        from: usize,
        to: usize,
        scan: &mut Scan,
        want: &mut Want<'_, '_>,
        classify: impl Fn(*const u8) -> Masks,
        prefix_xor: impl Fn(u64) -> u64,
    ) -> Option<SpanStop> {
        let mut base = from;
        while base < to {
            let len = (buf.len() - base).min(64);
            let masks = if base >= 2 && len == 64 {
                classify(buf[base..base + 64].as_ptr())
            } else {
                let mut padded = [b' '; 66];
                let context = base.min(2);
                padded[2 - context..2 + len].copy_from_slice(&buf[base - context..base + len]);
                classify(padded[2..].as_ptr()).truncate(len)
            };
            if let Some(stop) = self.step(buf, base, len, masks, scan, want, &prefix_xor) {
                return Some(stop);
            }
            base += 64;
        }
        None
    }
}

/// One classified block, its brackets outside strings.
struct Block {
    base: usize,
    opens: u64,
    closes: u64,
    anchor: u64,
    escapes: u64,
}

impl Block {
    /// Visits the brackets of a block in which members may open or close at the floor.
    #[inline(always)]
    fn walk(&self, scan: &mut Scan, want: &mut Want<'_, '_>) -> Option<SpanStop> {
        // The bits of this block that belong to the member being scanned.
        let mut live = u64::MAX;
        let mut brackets = self.opens | self.closes;
        while brackets != 0 {
            let i = brackets.trailing_zeros();
            brackets &= brackets - 1;
            if self.opens >> i & 1 == 1 {
                if scan.depth == want.floor {
                    scan.start = self.base + i as usize;
                    live = u64::MAX << i;
                    (scan.anchored, scan.unicode) = (0, 0);
                }
                scan.depth += 1;
            } else if scan.depth == want.floor {
                return Some(SpanStop::Closed(self.base + i as usize));
            } else {
                scan.depth -= 1;
                if scan.depth == want.floor {
                    let mine = live & u64::MAX >> (63 - i);
                    want.out.push(Span {
                        start: scan.start,
                        end: self.base + i as usize + 1,
                        flags: Flags {
                            escapes: (scan.unicode | self.escapes & mine) != 0,
                            anchored: want.all_anchored
                                || (scan.anchored | self.anchor & mine) != 0,
                        },
                    });
                    if want.out.len() >= want.limit {
                        return Some(SpanStop::Full);
                    }
                    live = !(u64::MAX >> (63 - i));
                    (scan.anchored, scan.unicode) = (0, 0);
                }
            }
        }
        scan.anchored |= self.anchor & live;
        scan.unicode |= self.escapes & live;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::structural::Anchors;

    /// Which implementation a test drives.
    #[derive(Clone, Copy, Debug)]
    enum Kernel {
        /// The one `spans` picks for this CPU.
        Best,
        Portable,
        #[cfg(target_arch = "x86_64")]
        Avx2,
        #[cfg(target_arch = "x86_64")]
        AnyAvx512,
    }

    /// The kernels this CPU can run.
    fn kernels() -> Vec<Kernel> {
        let mut all = vec![Kernel::Best, Kernel::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let common = has!("pclmulqdq") && has!("popcnt") && has!("bmi1");
            if common && has!("avx2") {
                all.push(Kernel::Avx2);
            }
            if common && has!("avx512bw") {
                all.push(Kernel::AnyAvx512);
            }
        }
        all
    }

    fn spans_by(
        kernel: Kernel,
        n: &mut Nesting,
        buf: &[u8],
        from: usize,
        limit: usize,
        out: &mut Vec<Span>,
    ) -> SpanStop {
        let mut scan = Scan {
            depth: n.depth,
            carry: 0,
            start: from,
            anchored: 0,
            unicode: 0,
        };
        let mut want = Want {
            floor: 1,
            limit,
            all_anchored: n.anchors.all,
            out,
            pace: None,
        };
        let anchors = n.anchors;
        match kernel {
            Kernel::Best => n.spans(buf, from, 1, limit, want.out, None),
            Kernel::Portable => n.spans_to_end(
                buf,
                from,
                &mut scan,
                &mut want,
                |b| classify(b, &anchors),
                prefix_xor,
            ),
            // SAFETY: `kernels` only offers what the CPU supports.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => unsafe { n.spans_avx2(buf, from, &mut scan, &mut want) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Kernel::AnyAvx512 => unsafe { n.spans_any_avx512(buf, from, &mut scan, &mut want) },
        }
    }

    /// Every span of `text` (an array's inside, at depth 1), found `limit` at a time.
    fn all_spans(text: &[u8], anchors: Anchors, limit: usize) -> (Vec<Span>, SpanStop) {
        let mut results = kernels()
            .into_iter()
            .map(|k| (k, all_spans_by(k, text, anchors, limit)));
        let (_, best) = results.next().expect("the best kernel");
        for (kernel, other) in results {
            assert_eq!(
                other,
                best,
                "{kernel:?} on {}",
                String::from_utf8_lossy(text)
            );
        }
        best
    }

    fn all_spans_by(
        kernel: Kernel,
        text: &[u8],
        anchors: Anchors,
        limit: usize,
    ) -> (Vec<Span>, SpanStop) {
        let mut out = Vec::new();
        let mut from = 0;
        loop {
            let mut n = Nesting::with_anchors(anchors);
            n.between_members(1);
            let before = out.len();
            let stop = spans_by(kernel, &mut n, text, from, out.len() + limit, &mut out);
            if stop != SpanStop::Full {
                return (out, stop);
            }
            assert!(out.len() > before);
            from = out.last().unwrap().end;
        }
    }

    #[test]
    fn finds_every_member_and_where_the_array_closes() {
        let text = br#" {"a":"}"}, [1,{"b":2}] ,{"c":{"d":"\"{"}},{}] tail"#;
        let expected: Vec<(usize, usize)> = vec![(1, 10), (12, 23), (25, 42), (43, 45)];
        for limit in [1, 2, 3, 100] {
            let (spans, stop) = all_spans(text, Anchors::ALL, limit);
            let got: Vec<_> = spans.iter().map(|s| (s.start, s.end)).collect();
            assert_eq!(got, expected, "limit {limit}");
            assert_eq!(stop, SpanStop::Closed(45));
            assert!(spans.iter().all(|s| s.flags.anchored && !s.flags.escapes));
        }
    }

    #[test]
    fn runs_out_inside_a_member() {
        let (spans, stop) = all_spans(br#"{"a":1},{"b":[2"#, Anchors::ALL, 10);
        assert_eq!(spans.len(), 1);
        assert_eq!(stop, SpanStop::NeedMore);
    }

    #[test]
    fn flags_belong_to_the_member_they_are_in() {
        let anchors = Anchors::new([&b"iam.amazonaws.com"[..]]);
        for pad in 0..130 {
            let text = format!(
                r#"{{"x":"{}"}},{{"s":"iam.amazonaws.com"}},{{"y":"a\u0041"}},{{"z":1}}]"#,
                "a".repeat(pad)
            );
            let (spans, stop) = all_spans(text.as_bytes(), anchors, 100);
            assert_eq!(stop, SpanStop::Closed(text.len() - 1), "pad {pad}");
            let flags: Vec<_> = spans
                .iter()
                .map(|s| (s.flags.anchored, s.flags.escapes))
                .collect();
            assert_eq!(
                flags,
                [(false, false), (true, false), (false, true), (false, false)],
                "pad {pad}"
            );
        }
    }

    /// The spans of an array's inside (depth 1) found one byte at a time, with their flags:
    /// a quote and an anchor pair ending inside the member, a backslash followed by `u` inside
    /// it. Returns where a bracket closed the array, if one did.
    fn reference_spans(
        text: &[u8],
        anchors: Anchors,
    ) -> (Vec<(usize, usize, Flags)>, Option<usize>) {
        let flags = |start: usize, end: usize| Flags {
            anchored: anchors.all
                || (start.max(2)..end).any(|i| {
                    text[i - 2] == b'"' && anchors.pairs().contains(&[text[i - 1], text[i]])
                }),
            escapes: (start..end).any(|i| text[i] == b'\\' && text.get(i + 1) == Some(&b'u')),
        };
        let (mut spans, mut depth, mut start) = (Vec::new(), 1u32, 0);
        let (mut in_string, mut escaped) = (false, false);
        for (i, &b) in text.iter().enumerate() {
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
                b'{' | b'[' => {
                    if depth == 1 {
                        start = i;
                    }
                    depth += 1;
                }
                b'}' | b']' if depth == 1 => return (spans, Some(i)),
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 1 {
                        spans.push((start, i + 1, flags(start, i + 1)));
                    }
                }
                _ => {}
            }
        }
        (spans, None)
    }

    #[test]
    fn agrees_with_a_byte_at_a_time_scan_on_generated_members() {
        // Members of random sizes and contents: spans must end exactly where `run` says.
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        // One pair (the default selection's), several (names), more than the fast loop takes.
        let anchor_sets = [
            Anchors::new([&b"ab"[..]]),
            Anchors::new([&b"ab"[..], b"x\"", b"k\""]),
            Anchors::new([&b"ab"[..], b"ba", b"u1", b"xx", b"k\"", b"12"]),
        ];
        // Long quiet stretches, as in real records, take the fast paths.
        let quiet = format!("\"{}\":{{\"k\":[1,2]}},", "x".repeat(300));
        for round in 0..900 {
            let anchors = anchor_sets[round % anchor_sets.len()];
            let mut text = Vec::new();
            for _ in 0..next() % 12 {
                text.push(b'{');
                for _ in 0..next() % 120 {
                    let rare = next() % 4 == 0;
                    text.extend_from_slice(
                        [
                            &b"\"ab\""[..],
                            b"\"\\u1\"",
                            b"\"\\\\\"",
                            b"[",
                            b"]",
                            b"{",
                            b"}",
                            b":1,",
                            quiet.as_bytes(),
                        ][(next() % if rare { 8 } else { 9 }) as usize],
                    );
                }
                // Close whatever is open, then the member.
                text.push(b'}');
                text.extend_from_slice(b" , ");
            }
            text.push(b']');
            let (reference, stop) = reference_spans(&text, anchors);
            let (spans, got_stop) = all_spans(&text, anchors, 1 + (next() % 4) as usize);
            let got: Vec<_> = spans.iter().map(|s| (s.start, s.end, s.flags)).collect();
            assert_eq!(got, reference, "{}", String::from_utf8_lossy(&text));
            match stop {
                Some(e) => assert_eq!(got_stop, SpanStop::Closed(e)),
                None => assert_eq!(got_stop, SpanStop::NeedMore),
            }
        }
    }
}
