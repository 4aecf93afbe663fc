//! Reports: tables (Markdown, LaTeX, CSV) and plots rendered from the store.
//! Reads the store only; never trains.
