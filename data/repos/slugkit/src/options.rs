use crate::{push_word, transliterate::fold_into};
use unicode_normalization::UnicodeNormalization;

/// How to build a slug.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Options {
    separator: char,
    max_len: Option<usize>,
    lowercase: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { separator: '-', max_len: None, lowercase: true }
    }
}

impl Options {
    /// Use `sep` between words.
    pub fn separator(mut self, sep: char) -> Self {
        self.separator = sep;
        self
    }

    /// Cut the slug at `n` bytes, on a word boundary.
    pub fn max_len(mut self, n: usize) -> Self {
        self.max_len = Some(n);
        self
    }

    /// Keep the input's case.
    pub fn keep_case(mut self) -> Self {
        self.lowercase = false;
        self
    }

    /// Slugify `input` with these options.
    pub fn slugify(&self, input: &str) -> String {
        let mut folded = String::with_capacity(input.len());
        input.nfkd().for_each(|c| fold_into(&mut folded, c));
        let mut out = String::with_capacity(folded.len());
        for word in folded.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
            if let Some(max) = self.max_len {
                let extra = if out.is_empty() { 0 } else { 1 };
                if out.len() + extra + word.len() > max {
                    break;
                }
            }
            push_word(&mut out, word, self.separator, self.lowercase);
        }
        out
    }
}
