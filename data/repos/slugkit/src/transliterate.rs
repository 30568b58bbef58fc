//! Folding of decomposed characters to ASCII.

/// Push the ASCII form of `c` (one character after NFKD decomposition) onto `out`; combining marks are dropped.
pub(crate) fn fold_into(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c);
        return;
    }
    if ('\u{300}'..='\u{36f}').contains(&c) {
        return; // combining diacritical marks left by NFKD
    }
    out.push_str(match c {
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'ø' | 'Ø' => "o",
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' => "d",
        'π' => "p",
        'λ' => "l",
        'ω' => "o",
        _ => " ", // anything else separates words
    });
}

#[cfg(test)]
mod tests {
    use super::fold_into;

    #[test]
    fn drops_combining_marks_and_expands_eszett() {
        let mut s = String::new();
        for c in "a\u{301}ßø".chars() {
            fold_into(&mut s, c);
        }
        assert_eq!(s, "assso");
    }
}
