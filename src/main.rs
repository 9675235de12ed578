fn main() -> std::process::ExitCode {
    certpress::cli::main()
}
