//! Engines: drivers that run the sans-IO model. `sim` runs it in virtual time.
//!
//! Owns nothing of the model's logic: an engine only moves time forward and carries requests,
//! answers and deliveries between the pieces of `model` and the strategies.

pub mod sim;
