//! Experiment specs: the TOML schema, validation and sweep expansion.
//!
//! Two stages (linfa's param guard): [`Spec::parse`] turns TOML into typed
//! settings and a [`Sweep`] (every struct is `deny_unknown_fields`, so a
//! misspelt key is an error), then [`Spec::validate`] resolves every
//! combination of the sweep, checks each one across axes (a text modality
//! needs lyrics, regression needs a continuous target, ...) and returns a
//! [`ValidSpec`] whose [`plan`](ValidSpec::plan) is the list of trials. Only a
//! `ValidSpec` runs. Every problem is reported at once, each a
//! [`mer_core::ConfigError`] placed in the file:
//! `file:line:col: key.path: rule`.
//!
//! Modules: [`schema`] (the typed sections and their checks), [`sweep`]
//! (`[sweep]`), `rules` (cross-axis rules), `plan` (parse, validate,
//! expand), [`trial`] (the resolved [`TrialConfig`] and its [`TrialKey`]),
//! `problems` (collecting and placing errors), [`locate`] (key paths <->
//! line:column).
//!
//! Owns: the shape of a spec and the [`TrialConfig`] a trial resolves to,
//! whose canonical JSON (plus the dataset fingerprint and extractor versions)
//! is the [`TrialKey`]. Leaves the meaning of `[dataset]`, `[features.*]`,
//! `[evaluation]` and `[model.*]` to the crates that define those tables;
//! each names its keys from its own table, and this crate prefixes the
//! table's place in the spec.

pub mod locate;
mod plan;
mod problems;
mod rules;
pub mod schema;
pub mod sweep;
pub mod trial;

pub use mer_data::Provides;
pub use mer_model::{Architecture, Modality, Task};
pub use plan::{Spec, ValidSpec, load_plan};
pub use problems::SpecError;
pub use schema::{
    ExperimentSection, FeaturesSection, LabelsSection, MelFeatures, SequenceFeatures, Settings,
    UnlabelledPolicy, WaveformFeatures,
};
pub use sweep::{ExcludeRule, OneOrMany, ParamAxis, Sweep, Unavailable};
pub use trial::{Plan, PlannedTrial, TrialConfig, TrialFeatures, TrialKey};

#[cfg(test)]
mod tests;
