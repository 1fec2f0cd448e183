fn main() -> std::process::ExitCode {
    wangge::cli::run(std::env::args_os())
}
