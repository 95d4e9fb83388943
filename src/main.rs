//! The `rinit` binary.
//!
//! rinit supplies the C `main` itself instead of letting Rust's start-up code
//! run: that code sets SIGPIPE to "ignore" before `main`, and rinit could
//! then no longer hand the child the SIGPIPE disposition it inherited. It
//! takes `argv` from the C runtime for the same reason (Rust's own argument
//! list is filled in by that start-up code on musl), and `envp` because the
//! child must get the environment byte for byte: `std::env::vars_os` skips
//! entries without `=` (glibc and musl both pass `envp` to `main`). The
//! entries are borrowed, not copied: the strings `envp` points to live as
//! long as the process, and rinit never changes its environment.
#![no_main]

use std::borrow::Cow;
use std::ffi::{CStr, OsString, c_char, c_int};
use std::os::unix::ffi::OsStringExt;

#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char, envp: *const *const c_char) -> c_int {
    let args = (0..usize::try_from(argc).unwrap_or(0))
        .map(|i| {
            // SAFETY: the C runtime passes `argc` valid NUL-terminated strings in `argv`.
            let arg = unsafe { CStr::from_ptr(*argv.add(i)) };
            OsString::from_vec(arg.to_bytes().to_vec())
        })
        .collect();
    let mut count = 0;
    // SAFETY: `envp` is the C runtime's null-terminated array of valid
    // NUL-terminated strings; nothing has changed the environment yet, and
    // the array goes on at least up to its terminating null.
    while !unsafe { envp.add(count).read() }.is_null() {
        count += 1;
    }
    let env = (0..count)
        .map(|i| {
            // SAFETY: as above; the strings stay where they are until the
            // process ends, since nothing in rinit sets or unsets a
            // variable: `'static` holds.
            Cow::Borrowed(unsafe { CStr::from_ptr(*envp.add(i)) })
        })
        .collect();
    rinit::run(args, env)
}
