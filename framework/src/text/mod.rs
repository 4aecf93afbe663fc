//! Lyrics: cleaning, tokens, stemming, TF-IDF, lexicon features, imported
//! embeddings and discriminative keywords.
//!
//! Owns: turning raw lyrics text into numeric features fitted on a training
//! fold only. Leaves reading lyrics files to `data`.

// PROVISIONAL: replaced by the text branch (issue 6).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TextFeatureConfig {
    pub representation: String,
}

impl Default for TextFeatureConfig {
    fn default() -> Self {
        TextFeatureConfig {
            representation: "tfidf".into(),
        }
    }
}

impl TextFeatureConfig {
    pub fn extractor_id(&self) -> String {
        format!(
            "text/0/{}",
            serde_json::to_string(self).expect("serialises")
        )
    }
}
#[derive(Debug, thiserror::Error)]
#[error("text")]
pub struct TextError;
pub struct FittedText;
pub struct TextFeatures;
impl TextFeatures {
    pub fn row(&self, _: usize) -> &[f32] {
        unimplemented!()
    }
}
impl FittedText {
    pub fn transform(&self, _: &[Option<&str>], _: &[&str]) -> Result<TextFeatures, TextError> {
        unimplemented!()
    }
}
pub fn fit(_: &TextFeatureConfig, _: &[Option<&str>], _: &[&str]) -> Result<FittedText, TextError> {
    unimplemented!()
}
impl TextFeatureConfig {
    pub fn drops_missing_lyrics(&self) -> bool {
        unimplemented!()
    }
}
