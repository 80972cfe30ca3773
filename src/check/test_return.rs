//! What a `#[seedloop::test]` function may return: `()` or
//! `Result<(), E>` with `E: Debug`, as with `#[test]`.

use std::fmt::Debug;

/// The return types `#[seedloop::test]` accepts: `()`, and `Result<(), E>`
/// where `E: Debug` (an `Err` fails the run with its `Debug` text, as
/// `#[test]` does).
///
/// ```
/// #[seedloop::test(seeds = 4)]
/// async fn parses() -> Result<(), std::num::ParseIntError> {
///     let n: u32 = "42".parse()?;
///     assert_eq!(n, 42);
///     Ok(())
/// }
/// ```
///
/// (`sim-tests/check_harness.rs` runs such tests, an `Err` among them.)
///
/// Any other return type is a compile error that names the supported ones:
///
/// ```compile_fail
/// #[seedloop::test]
/// async fn counts() -> u32 {
///     7
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "a #[seedloop::test] function returns `()` or `Result<(), E>` with `E: Debug`, not `{Self}`",
    label = "this return type is not supported"
)]
pub trait TestReturn {
    /// Turns the body's output into the run's outcome: an `Err` panics with
    /// its `Debug` text, which fails the run like any panic.
    fn into_outcome(self);
    /// What the test function returns once every schedule passed.
    fn passed() -> Self;
}

impl TestReturn for () {
    fn into_outcome(self) {}
    fn passed() -> Self {}
}

impl<E: Debug> TestReturn for Result<(), E> {
    fn into_outcome(self) {
        if let Err(e) = self {
            panic!("the test returned Err: {e:?}");
        }
    }
    fn passed() -> Self {
        Ok(())
    }
}
