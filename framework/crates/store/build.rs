//! `sqlx::migrate!` embeds the SQL files of the top-level `migrations/`
//! folder: rebuild the store when one is added.

fn main() {
    println!("cargo:rerun-if-changed=../../../migrations");
}
