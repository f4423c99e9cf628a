//! Integration tests, one binary (burn makes every test binary slow to link).

mod backends;
mod cli;
mod common;
mod cs231n;
mod csvfile;
mod datasets;
mod engines;
mod examples;
mod features;
mod figures;
mod fuzz;
mod gradients;
mod inputs;
mod layering;
mod memory;
mod micrograd;
mod mnist;
mod notebooks;
mod options;
mod readme;
mod refusals;
mod resume;
mod rundirs;
mod runs;
mod split;
mod trace;
