//! The `mtkbench` binary: parse the command line and hand over to the library.
//! Nothing else belongs here: every command, message and exit code lives in [`mtkbench::cli`].

fn main() {
    std::process::exit(mtkbench::cli::main());
}
