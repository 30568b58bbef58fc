use proptest::prelude::*;
use slugkit::{slugify, Options};

#[test]
fn french_accents() {
    assert_eq!(slugify("Crème Brûlée — 2024 Edition!"), "creme-brulee-2024-edition");
}

#[test]
fn separator_and_length() {
    let o = Options::default().separator('_').max_len(12);
    assert_eq!(o.slugify("one two three four"), "one_two");
}

proptest! {
    #[test]
    fn output_is_url_safe(s in "\\PC*") {
        let slug = slugify(&s);
        prop_assert!(slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        prop_assert!(!slug.starts_with('-') && !slug.ends_with('-'));
    }
}
