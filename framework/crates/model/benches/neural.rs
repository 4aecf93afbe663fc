//! Training throughput (samples/s) of three networks on the flex CPU
//! backend with a 2-thread pool, next to `tools/torch_bench.py`, which trains
//! the same networks in PyTorch (`torch.set_num_threads(2)`).
//!
//! Run: `cargo bench -p mer-model --bench neural` (optionally `-- cnn2d` to run
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

//! Measured 2026-11-21 on the shared 2-core builder (release bench binary,
//! torch 2.15.0 CPU wheel from PyPI), three rounds run interleaved at load
//! average ~1.5, s/epoch at 2 threads, burn vs torch:
//!
//! | model        | round 1       | round 2       | round 3       | 1 thread    |
//! |--------------|---------------|---------------|---------------|-------------|
//! | cnn2d        | 1.368 / 1.623 | 1.265 / 1.356 | 1.414 / 1.345 | 1.83 / 2.22 |
//! | bilstm_cnn   | 0.897 / 1.071 | 0.859 / 0.923 | 0.941 / 0.795 | 1.67 / 1.49 |
//! | residual_mlp | 0.074 / 0.202 | 0.072 / 0.259 | 0.082 / 0.159 | 0.073 / 0.156 |
//!
//! Median ratios 1.07x (cnn2d), 1.07x (bilstm_cnn), 2.7x (residual_mlp);
//! wall-time ratios move by about +-15 % with the neighbours' load. The
//! convolutions, pooling, batch norm + ReLU and LSTMs run on
//! `model/neural/kernels/`; with burn's own operations the same
//! benchmark gave cnn2d 3.31 s and bilstm_cnn 4.00 s per epoch (0.69x and
//! 0.21x), CPU time per sample 12.9 ms and 14.2 ms (now 5.2-5.7 ms and
//! 3.9-4.1 ms; PyTorch 5.8-7.1 ms and 3.9-5.3 ms).

use std::time::Instant;

use mer_model::neural::{
    AudioInput, Cnn2dConfig, Head, NeuralConfig, NeuralData, NeuralRuntime, ResidualMlpConfig,
    SeqCnnConfig, Targets, fit_predict,
};
use mer_model::train::{EarlyStoppingConfig, NoopObserver, TrainConfig};
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
        Head::Classification { n_classes: classes },
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
