//! ecsim: a discrete-event capacity and cost simulator for Amazon ECS.
//!
//! A scenario file describes loads, services and their auto scaling; [`scenario::load`]
//! validates it into a [`config::Scenario`]; [`sim::run`] plays it out on the [`engine`]
//! and streams what happened to a recorder; [`report`] writes the CSV, JSON and terminal
//! summaries. See ARCHITECTURE.md for the map and the rules that keep it simple.

pub mod batch;
pub mod calibration;
pub mod capacity;
pub mod catalog;
pub mod config;
pub mod ecs;
pub mod engine;
pub mod load;
pub mod placement;
pub mod pricing;
pub mod report;
pub mod scaling;
pub mod scenario;
pub mod sim;
pub mod stats;
