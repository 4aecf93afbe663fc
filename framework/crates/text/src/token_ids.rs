//! Token-id sequences and their vocabulary, for learned text encoders
//! (embedding layer + LSTM/CNN/transformer in `model`).
//!
//! Owns the vocabulary fitted on a training fold and the encoding of one
//! document as a fixed-length id sequence. Leaves tokenisation to
//! `text::clean::Analyzer` and the model to `model`.
//!
//! Ids: `0` = padding, `1` = unknown (a word not in the vocabulary), then
//! `2, 3, ...` for the training words by descending count, ties broken
//! alphabetically, up to `vocab_size` ids in all.

use std::collections::HashMap;

/// Padding id.
pub const PAD_ID: u32 = 0;
/// Id of every word outside the vocabulary.
pub const UNK_ID: u32 = 1;
/// Token strings of the two reserved ids.
pub const PAD_TOKEN: &str = "<pad>";
pub const UNK_TOKEN: &str = "<unk>";

/// A fitted id <-> token mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenVocabulary {
    /// `tokens[id]`; `tokens[0] = "<pad>"`, `tokens[1] = "<unk>"`.
    tokens: Vec<String>,
    index: HashMap<String, u32>,
}

/// One encoded document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// `[max_len]`: the first `length` entries are word ids, the rest `0`.
    pub ids: Vec<u32>,
    /// Real (unpadded) length, `<= max_len`.
    pub length: usize,
    /// Words mapped to `UNK_ID` among the kept ones.
    pub n_unknown: usize,
    /// Whether words beyond `max_len` were cut off.
    pub truncated: bool,
}

impl TokenVocabulary {
    /// Keeps the `vocab_size - 2` most frequent words of the training
    /// documents (each a list of words).
    pub fn fit(docs: &[Vec<String>], vocab_size: usize) -> Self {
        let mut counts: HashMap<&str, u64> = HashMap::new();
        for doc in docs {
            for w in doc {
                *counts.entry(w.as_str()).or_insert(0) += 1;
            }
        }
        let mut by_count: Vec<(&str, u64)> = counts.into_iter().collect();
        by_count.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        by_count.truncate(vocab_size.saturating_sub(2));
        let mut tokens = vec![PAD_TOKEN.to_owned(), UNK_TOKEN.to_owned()];
        tokens.extend(by_count.into_iter().map(|(w, _)| w.to_owned()));
        Self::from_tokens(tokens).expect("the reserved ids come first")
    }

    /// A vocabulary from its tokens in id order (as [`Self::tokens`]
    /// returns them); the two reserved ids must come first.
    pub fn from_tokens(tokens: Vec<String>) -> Option<Self> {
        if tokens.len() < 2 || tokens[0] != PAD_TOKEN || tokens[1] != UNK_TOKEN {
            return None;
        }
        let index = tokens
            .iter()
            .enumerate()
            .skip(2)
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        Some(TokenVocabulary { tokens, index })
    }

    /// `tokens()[id]` is the word of `id`.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// Ids in use, reserved ones included (`<= vocab_size`).
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Never true: the two reserved ids are always there.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Id of one word (`UNK_ID` when unknown). The reserved token strings
    /// are not words: `"<pad>"` in lyrics maps to `UNK_ID`.
    pub fn id(&self, word: &str) -> u32 {
        self.index.get(word).copied().unwrap_or(UNK_ID)
    }

    /// Encodes the first `max_len` words, padding with `PAD_ID`.
    pub fn encode(&self, words: &[String], max_len: usize) -> Encoded {
        let length = words.len().min(max_len);
        let mut ids = vec![PAD_ID; max_len];
        let mut n_unknown = 0;
        for (slot, w) in ids.iter_mut().zip(&words[..length]) {
            *slot = self.id(w);
            n_unknown += usize::from(*slot == UNK_ID);
        }
        Encoded {
            ids,
            length,
            n_unknown,
            truncated: words.len() > max_len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn vocabulary_orders_by_count_then_alphabet() {
        let v = TokenVocabulary::fit(&[w("b a c a"), w("c d")], 5);
        // counts: a 2, c 2, b 1, d 1 -> keep 3: a, c, b
        assert_eq!(v.tokens(), ["<pad>", "<unk>", "a", "c", "b"]);
        assert_eq!(v.id("d"), UNK_ID);
    }

    #[test]
    fn encode_pads_truncates_and_counts_unknowns() {
        let v = TokenVocabulary::fit(&[w("a b")], 10);
        let e = v.encode(&w("a z b"), 5);
        assert_eq!(e.ids, [2, 1, 3, 0, 0]);
        assert_eq!((e.length, e.n_unknown, e.truncated), (3, 1, false));
        let e = v.encode(&w("b b a a"), 2);
        assert_eq!(e.ids, [3, 3]);
        assert!(e.truncated);
        assert_eq!(v.encode(&w("<pad>"), 1).ids, [UNK_ID]);
    }
}
