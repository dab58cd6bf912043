//! Developer tools for trailsift: realistic synthetic CloudTrail data ([`synth`]), dumps laid out
//! like an S3 sync ([`dump`]), the bundled sample ([`sample`]), damaged-input fixtures
//! ([`damaged`]), the large benchmark dump ([`bench`]) and signed digest chains ([`integrity`]).
//! Everything is seeded: the same arguments give the same bytes (but for the digest chains'
//! RSA keys, made afresh each time).

pub mod bench;
pub mod damaged;
pub mod dump;
pub mod heavy;
pub mod integrity;
pub mod sample;
pub mod synth;
