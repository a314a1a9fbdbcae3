//! Output kept in memory, within a bound: the first bytes, up to a limit, and the last few,
//! for error messages.

use std::collections::VecDeque;

/// How many of the last bytes are always kept, for the tail shown in error messages.
const TAIL: usize = 4096;

/// One stream's output as it arrives.
pub(crate) struct Capture {
    head: Vec<u8>,
    limit: usize,
    tail: VecDeque<u8>,
    total: u64,
}

impl Capture {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            head: Vec::new(),
            limit,
            tail: VecDeque::new(),
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.limit.saturating_sub(self.head.len());
        self.head.extend_from_slice(&bytes[..room.min(bytes.len())]);
        let keep = bytes.len().min(TAIL);
        self.tail.extend(&bytes[bytes.len() - keep..]);
        let excess = self.tail.len().saturating_sub(TAIL);
        self.tail.drain(..excess);
    }

    /// The last lines of the output, as text, for an error message: at most `lines` lines.
    pub(crate) fn tail_text(&self, lines: usize) -> String {
        let bytes: Vec<u8> = self.tail.iter().copied().collect();
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim_end();
        let kept: Vec<&str> = text.lines().rev().take(lines).collect();
        let mut tail = kept.into_iter().rev().collect::<Vec<_>>().join("\n");
        if self.total > TAIL as u64 || text.lines().count() > lines {
            tail.insert_str(0, "...\n");
        }
        tail
    }

    /// The kept bytes, and how many the stream produced in all.
    pub(crate) fn finish(self) -> (Vec<u8>, u64) {
        (self.head, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_head_up_to_the_limit_and_counts_everything() {
        let mut c = Capture::new(5);
        c.push(b"abc");
        c.push(b"defgh");
        let (head, total) = c.finish();
        assert_eq!(head, b"abcde");
        assert_eq!(total, 8);
    }

    #[test]
    fn the_tail_is_the_last_lines() {
        let mut c = Capture::new(0);
        for i in 0..100 {
            c.push(format!("line {i}\n").as_bytes());
        }
        assert_eq!(c.tail_text(2), "...\nline 98\nline 99");
        let mut short = Capture::new(0);
        short.push(b"only one\n");
        assert_eq!(short.tail_text(5), "only one");
    }
}
