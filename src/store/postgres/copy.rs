//! Rows for `COPY … FROM STDIN` in PostgreSQL's text format: tab-separated, `\N` for null,
//! backslash escapes for the four characters that would break a row.

pub(super) struct CopyRows {
    pub buf: String,
    pub rows: u64,
}

impl CopyRows {
    pub(super) fn new() -> Self {
        CopyRows {
            buf: String::with_capacity(1 << 20),
            rows: 0,
        }
    }

    pub(super) fn text(&mut self, v: &str) {
        for ch in v.chars() {
            match ch {
                '\\' => self.buf.push_str("\\\\"),
                '\t' => self.buf.push_str("\\t"),
                '\n' => self.buf.push_str("\\n"),
                '\r' => self.buf.push_str("\\r"),
                c => self.buf.push(c),
            }
        }
        self.buf.push('\t');
    }

    pub(super) fn null(&mut self) {
        self.buf.push_str("\\N\t");
    }

    /// Numbers and dates need no escaping. f64 Display prints the shortest text that parses
    /// back to the same bits, so coordinates survive exactly.
    pub(super) fn plain(&mut self, v: impl std::fmt::Display) {
        use std::fmt::Write;
        let _ = write!(self.buf, "{v}");
        self.buf.push('\t');
    }

    /// A column written by the caller straight into `buf` (hex EWKB), then closed.
    pub(super) fn raw_done(&mut self) {
        self.buf.push('\t');
    }

    pub(super) fn end_row(&mut self) {
        if self.buf.ends_with('\t') {
            self.buf.pop();
        }
        self.buf.push('\n');
        self.rows += 1;
    }

    pub(super) fn is_full(&self) -> bool {
        self.buf.len() >= 1 << 20
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_nulls() {
        let mut r = CopyRows::new();
        r.text("a\tb\\c\nd");
        r.null();
        r.plain(1.5);
        r.end_row();
        assert_eq!(r.buf, "a\\tb\\\\c\\nd\t\\N\t1.5\n");
    }
}
