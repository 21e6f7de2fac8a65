//! The fence around every entry point: a panic never unwinds into C, and a NULL where a pointer is
//! required is refused before anything is changed.
//!
//! Every `extern "C"` function runs its whole body in [`fence`], or in [`fence_status`] when it
//! returns a `tcpprobe_status`, and turns its pointer arguments into references only through
//! [`input`], [`exclusive`], [`output`] and [`bytes`].

use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use crate::types::TcpprobeStatus;

/// Why a status-returning entry point did not do its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A required pointer was NULL; nothing was changed.
    NullArgument,
    /// The body caught a panic of its own (and recovered from it as it could).
    Internal,
}

/// Runs an entry point's body; a panic returns `on_panic` instead of unwinding into the caller.
pub(crate) fn fence<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(on_panic)
}

/// [`fence`] for the entry points that return a status: `TCPPROBE_NULL_ARGUMENT` or
/// `TCPPROBE_INTERNAL_ERROR` for the body's [`Failure`], `TCPPROBE_INTERNAL_ERROR` for a panic.
pub(crate) fn fence_status(body: impl FnOnce() -> Result<(), Failure>) -> TcpprobeStatus {
    fence(TcpprobeStatus::INTERNAL_ERROR, || match body() {
        Ok(()) => TcpprobeStatus::OK,
        Err(Failure::NullArgument) => TcpprobeStatus::NULL_ARGUMENT,
        Err(Failure::Internal) => TcpprobeStatus::INTERNAL_ERROR,
    })
}

/// A required pointer to read from.
///
/// # Safety
/// `p` must be NULL or valid for reading a `T` that nobody writes during `'a`.
pub(crate) unsafe fn input<'a, T>(p: *const T) -> Result<&'a T, Failure> {
    // SAFETY: the caller's promise, above.
    unsafe { p.as_ref() }.ok_or(Failure::NullArgument)
}

/// A required pointer to an object this call uses exclusively (a classifier).
///
/// # Safety
/// `p` must be NULL or valid for reading and writing a `T` that nothing else uses during `'a`.
pub(crate) unsafe fn exclusive<'a, T>(p: *mut T) -> Result<&'a mut T, Failure> {
    // SAFETY: the caller's promise, above.
    unsafe { p.as_mut() }.ok_or(Failure::NullArgument)
}

/// A required pointer to write a result through. The memory may be uninitialised, so it is only
/// ever written whole, never read or borrowed.
///
/// # Safety
/// `p` must be NULL or valid for writing a `T` during `'a`.
pub(crate) unsafe fn output<'a, T>(p: *mut T) -> Result<Output<'a, T>, Failure> {
    NonNull::new(p)
        .map(|ptr| Output {
            ptr,
            _lifetime: PhantomData,
        })
        .ok_or(Failure::NullArgument)
}

/// A caller's buffer of `len` bytes; NULL is allowed only when `len` is 0.
///
/// # Safety
/// `p` must be NULL or valid for reading `len` bytes that nobody writes during `'a`.
pub(crate) unsafe fn bytes<'a>(p: *const u8, len: usize) -> Result<&'a [u8], Failure> {
    if len == 0 {
        Ok(&[])
    } else if p.is_null() {
        Err(Failure::NullArgument)
    } else {
        // SAFETY: non-null; readability for len bytes is the caller's promise, above.
        Ok(unsafe { std::slice::from_raw_parts(p, len) })
    }
}

/// Where an entry point writes a result (from [`output`]).
pub(crate) struct Output<'a, T> {
    ptr: NonNull<T>,
    _lifetime: PhantomData<&'a mut T>,
}

impl<T> Output<'_, T> {
    pub(crate) fn write(&mut self, value: T) {
        // SAFETY: non-null, and valid for writing a T during the borrow: promised to `output`.
        unsafe { self.ptr.as_ptr().write(value) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_the_fallback_value_or_an_internal_error() {
        std::panic::set_hook(Box::new(|_| {}));
        let status = fence_status(|| panic!("boom"));
        let value = fence(7u64, || panic!("boom"));
        let _ = std::panic::take_hook();
        assert_eq!(status, TcpprobeStatus::INTERNAL_ERROR);
        assert_eq!(value, 7);
    }

    #[test]
    fn failures_become_their_status() {
        assert_eq!(fence_status(|| Ok(())), TcpprobeStatus::OK);
        assert_eq!(
            fence_status(|| Err(Failure::NullArgument)),
            TcpprobeStatus::NULL_ARGUMENT
        );
        assert_eq!(
            fence_status(|| Err(Failure::Internal)),
            TcpprobeStatus::INTERNAL_ERROR
        );
    }

    #[test]
    fn null_pointers_are_refused_but_an_empty_buffer_may_be_null() {
        unsafe {
            assert!(input::<u8>(std::ptr::null()).is_err());
            assert!(exclusive::<u8>(std::ptr::null_mut()).is_err());
            assert!(output::<u8>(std::ptr::null_mut()).is_err());
            assert_eq!(bytes(std::ptr::null(), 0), Ok(&[][..]));
            assert_eq!(bytes(std::ptr::null(), 1), Err(Failure::NullArgument));
        }
    }
}
