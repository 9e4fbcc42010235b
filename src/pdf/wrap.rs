//! Line breaking: Chinese breaks between any two characters, Latin words at spaces, a word too
//! long for the line between its letters; closing punctuation (，。） never starts a line and
//! opening punctuation (（《“) never ends one.

/// Breaks `text` into lines no wider than `max` (in the unit of `width`); each `\n` starts a
/// new line. Leading and trailing spaces of a wrapped line are dropped.
pub fn wrap(text: &str, max: f32, width: impl Fn(&str) -> f32) -> Vec<String> {
    text.split('\n')
        .flat_map(|paragraph| wrap_paragraph(paragraph, max, &width))
        .collect()
}

fn wrap_paragraph(text: &str, max: f32, width: &impl Fn(&str) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_w = 0.0;
    for token in tokens(text) {
        let token_w = width(&token);
        if line_w + token_w <= max || line.trim().is_empty() && token.trim().is_empty() {
            line.push_str(&token);
            line_w += token_w;
            continue;
        }
        if token.trim().is_empty() {
            // A space where the line is full: break there and drop it.
            lines.push(std::mem::take(&mut line));
            line_w = 0.0;
            continue;
        }
        if !line.trim().is_empty() {
            lines.push(std::mem::take(&mut line).trim_end().to_owned());
        }
        line.clear();
        line_w = 0.0;
        // A token wider than a whole line is cut between its characters.
        for c in token.chars() {
            let mut buf = [0; 4];
            let c_w = width(c.encode_utf8(&mut buf));
            if line_w + c_w > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_w = 0.0;
            }
            line.push(c);
            line_w += c_w;
        }
    }
    let last = line.trim_end();
    if !last.is_empty() || lines.is_empty() {
        lines.push(last.to_owned());
    }
    lines
        .into_iter()
        .map(|l| l.trim_start().to_owned())
        .collect()
}

/// Where a character sits for line breaking.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// An ideograph, kana, hangul or full-width sign: a break is allowed on both sides.
    Cjk,
    /// Opening punctuation: no break after it.
    Open,
    /// Closing punctuation: no break before it.
    Close,
    /// Latin letters, digits and the rest: breaks only at spaces (or next to Chinese).
    Other,
}

fn class(c: char) -> Class {
    match c {
        '（' | '《' | '〈' | '「' | '『' | '【' | '〔' | '“' | '‘' | '［' | '｛' => {
            Class::Open
        }
        '，' | '。' | '、' | '；' | '：' | '！' | '？' | '）' | '》' | '〉' | '」' | '』'
        | '】' | '〕' | '”' | '’' | '］' | '｝' | '…' | '·' | '％' | ',' | '.' | ';' | ':'
        | '!' | '?' | ')' | ']' | '}' | '%' => Class::Close,
        '\u{2E80}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF00}'..='\u{FFEF}'
        | '\u{20000}'..='\u{3FFFF}' => Class::Cjk,
        _ => Class::Other,
    }
}

/// Splits a line into unbreakable pieces and runs of spaces.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut last = None; // class of the last character of `cur`
    for c in text.chars() {
        if c.is_whitespace() {
            if last.is_some() {
                out.push(std::mem::take(&mut cur));
                last = None;
            }
            cur.push(c);
            continue;
        }
        let class = class(c);
        let break_before = match (last, class) {
            (None, _) => !cur.is_empty(), // after spaces
            (_, Class::Close) | (Some(Class::Open), _) => false,
            (Some(Class::Cjk), _) => true,
            (Some(Class::Close), _) => true,
            (Some(Class::Other), next) => next != Class::Other,
        };
        if break_before {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c);
        // A closing sign after a Latin word keeps the word going ("a,b" stays whole).
        last = match (last, class) {
            (Some(Class::Other), Class::Close) => Some(Class::Other),
            _ => Some(class),
        };
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character one unit wide.
    fn chars(s: &str) -> f32 {
        s.chars().count() as f32
    }

    #[test]
    fn chinese_breaks_between_any_characters() {
        assert_eq!(
            wrap("一二三四五六七", 3.0, chars),
            ["一二三", "四五六", "七"]
        );
    }

    #[test]
    fn latin_breaks_at_spaces_and_long_words_are_cut() {
        assert_eq!(
            wrap("the quick brown fox", 10.0, chars),
            ["the quick", "brown fox"]
        );
        assert_eq!(wrap("abcdefghij", 4.0, chars), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn punctuation_stays_with_its_neighbour() {
        // "，" may not start a line: it goes with 二, which moves to the next line.
        assert_eq!(wrap("一二，三四", 2.0, chars), ["一", "二，", "三四"]);
        // "《" may not end a line.
        assert_eq!(wrap("一《二》", 3.0, chars), ["一", "《二》"]);
    }

    #[test]
    fn mixed_text_breaks_between_chinese_and_latin() {
        assert_eq!(wrap("共300条记录", 5.0, chars), ["共300条", "记录"]);
    }

    #[test]
    fn newlines_start_lines_and_empty_text_is_one_empty_line() {
        assert_eq!(wrap("甲\n\n乙", 10.0, chars), ["甲", "", "乙"]);
        assert_eq!(wrap("", 10.0, chars), [""]);
        assert_eq!(wrap("a  b", 1.0, chars), ["a", "b"]);
    }
}
