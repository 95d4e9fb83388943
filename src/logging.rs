//! rinit's own messages: stderr only, never mixed into the app's stdout.

use log::LevelFilter;
use std::io::Write;

/// `verbosity`: 0 errors only, 1 warnings (the default), 2 info, 3 debug,
/// 4 trace. `filter`, from `RINIT_LOG`, is an `env_logger` filter that
/// overrides it.
pub fn init(name: &'static str, verbosity: u8, filter: Option<&str>) {
    let level = match verbosity {
        0 => LevelFilter::Error,
        1 => LevelFilter::Warn,
        2 => LevelFilter::Info,
        3 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    };
    let mut builder = env_logger::Builder::new();
    builder.filter_level(level);
    if let Some(filter) = filter {
        builder.parse_filters(filter);
    }
    builder
        .target(env_logger::Target::Stderr)
        .format(move |out, record| {
            let level = record.level().as_str().to_ascii_lowercase();
            writeln!(out, "{name}: {level}: {}", record.args())
        });
    // Fails only if a logger is already installed, which cannot happen here.
    let _ = builder.try_init();
}
