//! Experiment specs: TOML schema, validation and sweep expansion into a Plan.
