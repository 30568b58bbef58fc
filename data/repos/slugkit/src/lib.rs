//! URL slugs from arbitrary Unicode text.
//!
//! ```
//! assert_eq!(slugkit::slugify("Hello, World!"), "hello-world");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod options;
mod transliterate;

pub use options::Options;

/// Slugify `input` with the default [`Options`]: `-` separator, lowercase, no length limit.
pub fn slugify(input: &str) -> String {
    Options::default().slugify(input)
}

pub(crate) fn push_word(out: &mut String, word: &str, sep: char, lowercase: bool) {
    if !out.is_empty() {
        out.push(sep);
    }
    if lowercase {
        out.extend(word.chars().flat_map(char::to_lowercase));
    } else {
        out.push_str(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_punctuation() {
        assert_eq!(slugify("  a -- b !! c  "), "a-b-c");
    }

    #[test]
    fn empty_input_gives_empty_slug() {
        assert_eq!(slugify("!!!"), "");
    }
}
