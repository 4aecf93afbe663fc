//! The end-to-end tests of mer: the command line, and whole sweeps over the
//! synthetic benchmark. One test binary (each module is one file beside this).

mod bad_input;
mod bundle;
mod cli;
mod common;
mod k8s;
mod neural_fusion;
mod postgres;
mod reproduce;
mod slurm;
mod synthetic_structure;
mod worker;
