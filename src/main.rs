//! The `trailsift` binary: everything is in the library ([`trailsift::cmd::main`]).

fn main() -> std::process::ExitCode {
    trailsift::cmd::main()
}
