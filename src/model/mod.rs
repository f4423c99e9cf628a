//! The networks: a burn [`Module`](burn::module::Module) made of fully connected layers
//! ([`mlp`]), their hidden activations ([`activation`]) and the initialisers of the notebooks
//! ([`init`]).

pub mod activation;
pub mod init;
pub mod mlp;

pub use mlp::Mlp;
