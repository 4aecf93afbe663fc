//! Training throughput (samples/s) of three networks on the flex CPU
//! backend with a 2-thread pool, next to `tools/torch_bench.py`, which trains
//! the same networks in PyTorch (`torch.set_num_threads(2)`).
//!
//! Run: `cargo bench -p mer --bench neural` (optionally `-- cnn2d` to run
//! one model, `MER_BENCH_EPOCHS=5` for longer runs, `MER_BENCH_THREADS=1`
//! for another pool size; the default is the 2 threads).
//!
//! Models (identical in both scripts):
//! - `cnn2d`: log-mel `1x64x128`, Conv2D 16/32/64 (3x3, no bias) -> BN ->
//!   ReLU -> MaxPool 2x2, Dense 128, dropout 0.5, 9 classes; 400 tracks,
//!   batch 32.
//! - `bilstm_cnn`: MFCC sequence `256 frames x 40`, Conv1D 256/128 (k 3) ->
//!   BN -> ReLU -> MaxPool 2, BiLSTM 128 (final states), Dense 128,
//!   dropout 0.3, 9 classes; 400 tracks, batch 32.
//! - `residual_mlp`: 37 -> 128, 2 residual blocks, dropout 0.4, 4 classes;
//!   4000 tracks, batch 32.
//!
//! Adam, lr 1e-3, no validation split. The figure is
//! `epochs * tracks / wall time of the whole fit`. The process CPU time
//! (user + system, Linux `/proc/self/stat`) is printed too: on a loaded
//! shared machine wall time mostly measures the scheduler, while CPU time
//! per sample stays comparable between the two scripts.

//! Measured 2026-11-21 on the shared 2-core builder (dev profile binary:
//! `cargo build -p mer --bench neural`, then
//! `MER_BENCH_EPOCHS=3 target/debug/deps/neural-<hash>`; torch 2.15.0 CPU
//! wheel from PyPI), load average 3-4 from other builders, s/epoch:
//!
//! | model        | burn 2 thr | torch 2 thr | burn 1 thr | torch 1 thr |
//! |--------------|-----------:|------------:|-----------:|------------:|
//! | cnn2d        | 5.08-5.37  | 6.57        | 6.15       | 2.37        |
//! | bilstm_cnn   | 5.74-5.89  | 12.14       | 5.78       | 1.54        |
//! | residual_mlp | 0.15-0.17  | 2.27        | 0.13       | 0.20        |
//!
//! Re-measured later the same day back to back at load ~1.8 (s/epoch, 2
//! threads / 1 thread): cnn2d burn 3.31 / 5.03, torch 2.29 / 2.27;
//! bilstm_cnn burn 4.00 / 5.58, torch 0.85 / 1.45; residual_mlp burn
//! 0.112 / 0.104, torch 0.181 / 0.162 (README's performance section).
//!
//! At 2 threads burn's wall time beats PyTorch's here only because
//! PyTorch's OpenMP threads degrade badly on an oversubscribed machine; per
//! thread, PyTorch is faster for the convolutional and recurrent models (CPU
//! time per sample: cnn2d 12.9 ms vs 5.7 ms, bilstm_cnn 14.2 ms vs 3.8 ms)
//! and slower for the MLP (0.03 ms vs 0.05 ms).

use std::time::Instant;

use mer::model::neural::{
    AudioInput, Cnn2dConfig, NeuralConfig, NeuralData, NeuralRuntime, ResidualMlpConfig,
    SeqCnnConfig, Targets, Task, fit_predict,
};
use mer::train::{EarlyStoppingConfig, NoopObserver, TrainConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn data(
    n: usize,
    audio: impl Fn(Vec<f32>) -> AudioInput,
    item: usize,
    classes: usize,
) -> NeuralData {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let values: Vec<f32> = (0..n * item)
        .map(|_| rng.random::<f32>() * 2.0 - 1.0)
        .collect();
    let labels: Vec<usize> = (0..n).map(|_| rng.random_range(0..classes)).collect();
    NeuralData {
        audio: Some(audio(values)),
        text: None,
        targets: Some(Targets::Classes(labels)),
    }
}

/// User + system CPU seconds of this process so far (Linux only; `NaN`
/// elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn run(
    name: &str,
    cfg: &NeuralConfig,
    data: &NeuralData,
    n: usize,
    classes: usize,
    epochs: usize,
    threads: usize,
) {
    let train_cfg = TrainConfig {
        epochs,
        batch_size: 32,
        early_stopping: EarlyStoppingConfig {
            patience: 0,
            restore_best: false,
        },
        ..TrainConfig::default()
    };
    let runtime = NeuralRuntime {
        threads,
        ..NeuralRuntime::default()
    };
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    fit_predict(
        cfg,
        &train_cfg,
        Task::Classification { n_classes: classes },
        data,
        None,
        &[],
        7,
        runtime,
        &mut NoopObserver,
    )
    .expect("benchmark fit");
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    println!(
        "{name:<14} {:>9.1} samples/s   {:>7.3} s/epoch   {:>7.2} ms CPU/sample   ({epochs} epochs x {n} tracks, {threads} threads, burn flex)",
        (epochs * n) as f64 / secs,
        secs / epochs as f64,
        1000.0 * cpu / (epochs * n) as f64
    );
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    let epochs: usize = std::env::var("MER_BENCH_EPOCHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let threads: usize = std::env::var("MER_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    if wanted("cnn2d") {
        let (n, m, t) = (400, 64, 128);
        let d = data(
            n,
            |data| AudioInput::Mel {
                n_mels: m,
                frames: t,
                data,
            },
            m * t,
            9,
        );
        let cfg = NeuralConfig::Cnn2d(Cnn2dConfig {
            channels: vec![16, 32, 64],
            dense: 128,
            dropout: 0.5,
        });
        run("cnn2d", &cfg, &d, n, 9, epochs, threads);
    }
    if wanted("bilstm_cnn") {
        let (n, frames, dims) = (400, 256, 40);
        let d = data(
            n,
            |data| AudioInput::Sequence { frames, dims, data },
            frames * dims,
            9,
        );
        let cfg = NeuralConfig::BilstmCnn(SeqCnnConfig::default());
        run("bilstm_cnn", &cfg, &d, n, 9, epochs, threads);
    }
    if wanted("residual_mlp") {
        let n = 4000;
        let d = data(n, |data| AudioInput::Vector { dims: 37, data }, 37, 4);
        let cfg = NeuralConfig::ResidualMlp(ResidualMlpConfig::default());
        run("residual_mlp", &cfg, &d, n, 4, epochs, threads);
    }
}
