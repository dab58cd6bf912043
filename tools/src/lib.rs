//! Developer tools for trailsift: realistic synthetic CloudTrail data ([`synth`]), dumps laid out
//! like an S3 sync ([`dump`]), the bundled sample ([`sample`]), damaged-input fixtures
//! ([`fixtures`]) and the large benchmark dump ([`bench`]). Everything is seeded: the same
//! arguments give the same bytes.

pub mod bench;
pub mod damaged;
pub mod dump;
pub mod heavy;
pub mod sample;
pub mod synth;
