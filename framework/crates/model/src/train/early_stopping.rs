//! Early stopping on the validation loss: pure bookkeeping, no tensors.

/// What the loop should do after an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// This epoch has the lowest validation loss so far (its weights should be
    /// kept as the best).
    pub improved: bool,
    /// Training should stop now.
    pub stop: bool,
}

/// Tracks the best validation loss and the epochs since it last improved.
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    patience: usize,
    best: Option<(usize, f64)>,
    since_best: usize,
}

impl EarlyStopping {
    /// `patience = 0` never stops (but still tracks the best epoch).
    #[must_use]
    pub fn new(patience: usize) -> Self {
        Self {
            patience,
            best: None,
            since_best: 0,
        }
    }

    /// Records the validation loss of `epoch`. An improvement must be strictly
    /// lower than the best so far, so ties keep the earlier epoch.
    pub fn update(&mut self, epoch: usize, validation_loss: f64) -> Verdict {
        let improved = match self.best {
            None => true,
            Some((_, best)) => validation_loss < best,
        };
        if improved {
            self.best = Some((epoch, validation_loss));
            self.since_best = 0;
        } else {
            self.since_best += 1;
        }
        Verdict {
            improved,
            stop: self.patience > 0 && self.since_best >= self.patience,
        }
    }

    /// The best epoch and its validation loss so far.
    #[must_use]
    pub fn best(&self) -> Option<(usize, f64)> {
        self.best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_after_patience_epochs_without_strict_improvement() {
        let mut es = EarlyStopping::new(2);
        assert!(es.update(1, 1.0).improved);
        assert!(es.update(2, 0.5).improved);
        let v = es.update(3, 0.5); // a tie is not an improvement
        assert_eq!(
            v,
            Verdict {
                improved: false,
                stop: false
            }
        );
        let v = es.update(4, 0.7);
        assert_eq!(
            v,
            Verdict {
                improved: false,
                stop: true
            }
        );
        assert_eq!(es.best(), Some((2, 0.5)));
    }

    #[test]
    fn zero_patience_never_stops() {
        let mut es = EarlyStopping::new(0);
        es.update(1, 0.1);
        for e in 2..50 {
            assert!(!es.update(e, 1.0).stop);
        }
        assert_eq!(es.best(), Some((1, 0.1)));
    }
}
