# mer recipes. Install just with `cargo install just`; every recipe is a
# one-liner over `cargo run --release -p mer -- ...`, so you can also copy it.

# Run a sweep (default: the quick start) and write its report.
sweep SPEC="experiments/quickstart.toml":
    cargo run --release -p mer -- sweep {{SPEC}} --report

# Write the report of an experiment (name or spec file).
report EXP="quickstart":
    cargo run --release -p mer -- report {{EXP}}

# Re-run a stored trial and compare with what was recorded.
rerun TRIAL:
    cargo run --release -p mer -- rerun {{TRIAL}}

# Re-run a whole experiment and write reports/EXP/reproduction.{md,html,csv}.
reproduce EXP="quickstart":
    cargo run --release -p mer -- rerun --experiment {{EXP}}

# Print the trials a spec expands to.
plan SPEC="experiments/quickstart.toml":
    cargo run --release -p mer -- plan {{SPEC}}

# The test suite (the same command CI runs).
test:
    cargo test --workspace --release

# Benchmarks: feature extraction and training throughput, with the Python
# references where librosa / torch are installed.
bench:
    bash tools/bench.sh

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --all -- --check && cargo clippy --workspace --all-targets -- -D warnings

# Explore a spec's dataset (class balance, correlations, keywords, PCA).
eda SPEC="experiments/quickstart.toml":
    cargo run --release -p mer -- eda {{SPEC}}
