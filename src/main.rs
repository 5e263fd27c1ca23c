//! The `dxs` command: parses the command line and runs it (see `dxs --help`).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = dxs::cli::Args::parse();
    dxs::init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("dxs: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dxs::cli::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(dxs::cli::CliError::Config(e)) => {
            eprintln!("dxs: config: {e}");
            ExitCode::from(2)
        }
        Err(dxs::cli::CliError::Refused(e)) => {
            eprintln!("dxs: {e}");
            ExitCode::from(2)
        }
        Err(dxs::cli::CliError::Failed(e)) => {
            eprintln!("dxs: {e:#}");
            ExitCode::FAILURE
        }
    }
}
