// The allocator of the `certpress` binary (see Cargo.toml); the library leaves the
// choice to whoever links it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    certpress::cli::main()
}
