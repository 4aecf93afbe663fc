//! Lyrics of synthetic tracks: lines of words drawn from valence, quadrant,
//! arousal, genre and artist vocabularies mixed with neutral filler.
//!
//! Per word (with `s = 1 - noise / 2`): a valence word with probability
//! `0.12 s`, a quadrant word `0.008 s`, an arousal word `0.004 s`, a genre
//! word `0.015`, an artist signature word `0.006`, otherwise filler. So valence
//! is strong in text, arousal weak. The quadrant vocabularies include the seed
//! study's discriminative keywords (Q3: gone, hurt, cry, pain; Q4: peace,
//! angel, christmas, star).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Artist, PlannedTrack, SyntheticConfig};

/// Positive-valence words.
pub const POSITIVE: &[&str] = &[
    "love",
    "smile",
    "sunshine",
    "joy",
    "bright",
    "happy",
    "kiss",
    "beautiful",
    "hope",
    "warm",
    "laugh",
    "sweet",
    "golden",
    "together",
    "heaven",
    "friend",
    "glad",
    "shine",
    "wonderful",
    "blessed",
];
/// Negative-valence words.
pub const NEGATIVE: &[&str] = &[
    "tears", "alone", "broken", "dark", "lost", "cold", "lie", "hate", "fear", "sorrow", "empty",
    "bitter", "wrong", "die", "blame", "regret", "ashes", "lonely", "shadow", "grief",
];
/// Per-quadrant words, Q1 happy, Q2 angry, Q3 sad, Q4 calm.
pub const QUADRANT_WORDS: [&[&str]; 4] = [
    &[
        "dance",
        "party",
        "celebrate",
        "sing",
        "alive",
        "fun",
        "summer",
        "cheer",
    ],
    &[
        "fight", "rage", "burn", "scream", "blood", "war", "enemy", "fury",
    ],
    &[
        "gone", "hurt", "cry", "pain", "grave", "goodbye", "miss", "bleeding",
    ],
    &[
        "peace",
        "angel",
        "christmas",
        "star",
        "gentle",
        "dream",
        "breeze",
        "snow",
    ],
];
/// High- and low-arousal words.
pub const AROUSAL_WORDS: [&[&str]; 2] = [
    &[
        "run", "fast", "loud", "fire", "electric", "rush", "thunder", "speed",
    ],
    &[
        "slow", "sleep", "quiet", "soft", "rest", "still", "whisper", "drift",
    ],
];
/// Genre words, in the order of [`super::GENRES`].
pub const GENRE_WORDS: [&[&str]; 5] = [
    &["choir", "hymn", "sonata", "ancient"],
    &["club", "bass", "neon", "signal"],
    &["river", "mountain", "harvest", "valley"],
    &["baby", "radio", "phone", "yeah"],
    &["highway", "guitar", "engine", "denim"],
];
/// Neutral filler.
pub const FILLER: &[&str] = &[
    "the", "a", "i", "you", "we", "and", "to", "in", "on", "my", "your", "it", "of", "with", "all",
    "go", "know", "see", "time", "day", "night", "way", "road", "home", "back", "come", "say",
    "now", "just", "like", "when", "where", "there", "this", "that", "down", "up", "town", "city",
    "window", "street", "morning", "car", "walk", "call", "take", "make", "tell", "find", "around",
    "again", "long",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "ven", "tor", "shi", "dul", "ben", "zor", "qua", "fen", "lis", "mar",
    "gon", "tri",
];

/// A pronounceable pseudo-word of 2-3 syllables (artist signatures).
pub fn pseudo_word(rng: &mut ChaCha8Rng) -> String {
    let n = rng.random_range(2..=3);
    (0..n)
        .map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())])
        .collect()
}

fn choose<'a>(rng: &mut ChaCha8Rng, words: &[&'a str]) -> &'a str {
    words[rng.random_range(0..words.len())]
}

/// Renders the lyrics text of one track.
pub(super) fn render(cfg: &SyntheticConfig, artist: &Artist, t: &PlannedTrack) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(t.seed ^ 0x1791_C500_0000_0002);
    let s = 1.0 - 0.5 * cfg.noise;
    let (p_val, p_quad, p_aro, p_genre, p_artist) = (0.12 * s, 0.008 * s, 0.004 * s, 0.015, 0.006);
    // Ironic lyrics mirror the quadrant across the arousal axis (flip valence).
    let quadrant = if t.ironic {
        [1, 0, 3, 2][t.quadrant]
    } else {
        t.quadrant
    };
    let positive = matches!(quadrant, 0 | 3);
    let high = t.latent_arousal > 0.0;
    let lines = rng.random_range(10..=18);
    let mut text = String::new();
    for _ in 0..lines {
        let words = rng.random_range(5..=9);
        for w in 0..words {
            let u: f64 = rng.random();
            let word: &str = if u < p_val {
                choose(&mut rng, if positive { POSITIVE } else { NEGATIVE })
            } else if u < p_val + p_quad {
                choose(&mut rng, QUADRANT_WORDS[quadrant])
            } else if u < p_val + p_quad + p_aro {
                choose(&mut rng, AROUSAL_WORDS[usize::from(!high)])
            } else if u < p_val + p_quad + p_aro + p_genre {
                choose(&mut rng, GENRE_WORDS[artist.genre])
            } else if u < p_val + p_quad + p_aro + p_genre + p_artist {
                &artist.words[rng.random_range(0..2)]
            } else {
                choose(&mut rng, FILLER)
            };
            if w > 0 {
                text.push(' ');
            }
            text.push_str(word);
        }
        text.push('\n');
    }
    text
}
