//! The one way opaque handles cross the C boundary (after rustls-ffi's
//! `Castable`): each handle type (`srd_store`, `srd_entry`, `srd_iter`,
//! `srd_stream`) is a boxed Rust value, and [`Handle`] gives them all the
//! same NULL check, the same message ("invalid argument: store is NULL"),
//! and the same few casts, so that no export repeats its own.

use super::error::Failure;

/// An opaque C handle: a `Box` of the handle type, which wraps
/// [`Handle::Rust`]. Made with [`Handle::into_raw`], given back with
/// [`Handle::take`] or [`Handle::free`].
pub(crate) trait Handle: Sized + 'static {
    /// The Rust value behind the handle.
    type Rust;
    /// The handle's parameter name in messages ("`NAME` is NULL").
    const NAME: &'static str;

    /// Wraps the Rust value in the handle type.
    fn wrap(rust: Self::Rust) -> Self;
    /// The Rust value, by value.
    fn unwrap(self) -> Self::Rust;
    /// The Rust value, shared.
    fn get(&self) -> &Self::Rust;
    /// The Rust value, exclusive.
    fn get_mut(&mut self) -> &mut Self::Rust;

    /// Moves `rust` to the heap and gives C the pointer, which C owns.
    fn into_raw(rust: Self::Rust) -> *mut Self {
        Box::into_raw(Box::new(Self::wrap(rust)))
    }

    /// The Rust value behind `ptr`, or `None` for NULL.
    ///
    /// # Safety
    /// `ptr` must be NULL or a pointer from [`Handle::into_raw`] not yet
    /// given back, that nothing mutates for `'a`.
    #[inline]
    unsafe fn try_borrow<'a>(ptr: *const Self) -> Option<&'a Self::Rust> {
        // SAFETY: NULL or, per the caller's contract, a live Box of Self
        // that nothing mutates for 'a.
        unsafe { ptr.as_ref() }.map(Self::get)
    }

    /// The Rust value behind `ptr`; NULL fails with `SRD_INVALID_ARGUMENT`.
    ///
    /// # Safety
    /// As for [`Handle::try_borrow`].
    #[inline]
    unsafe fn borrow<'a>(ptr: *const Self) -> Result<&'a Self::Rust, Failure> {
        // SAFETY: forwarded caller contract.
        match unsafe { Self::try_borrow(ptr) } {
            Some(r) => Ok(r),
            None => Err(null_handle(Self::NAME)),
        }
    }

    /// The Rust value behind `ptr`, exclusively; NULL fails with
    /// `SRD_INVALID_ARGUMENT`.
    ///
    /// # Safety
    /// `ptr` must be NULL or a pointer from [`Handle::into_raw`] not yet
    /// given back, that nothing else uses for `'a`.
    #[inline]
    unsafe fn borrow_mut<'a>(ptr: *mut Self) -> Result<&'a mut Self::Rust, Failure> {
        // SAFETY: NULL or, per the caller's contract, a live Box of Self
        // that nothing else uses for 'a.
        match unsafe { ptr.as_mut() } {
            Some(h) => Ok(h.get_mut()),
            None => Err(null_handle(Self::NAME)),
        }
    }

    /// Takes the Rust value back from C (`None` for NULL): the handle is
    /// freed.
    ///
    /// # Safety
    /// `ptr` must be NULL or a pointer from [`Handle::into_raw`] not yet
    /// given back; C gives up every use of it.
    #[inline]
    unsafe fn take(ptr: *mut Self) -> Option<Self::Rust> {
        if ptr.is_null() {
            return None;
        }
        // SAFETY: non-NULL, made by Box::into_raw in into_raw, and given up
        // by the caller.
        Some(unsafe { Box::from_raw(ptr) }.unwrap())
    }

    /// As [`Handle::take`], but NULL fails with `SRD_INVALID_ARGUMENT`.
    ///
    /// # Safety
    /// As for [`Handle::take`].
    #[inline]
    unsafe fn take_required(ptr: *mut Self) -> Result<Self::Rust, Failure> {
        // SAFETY: forwarded caller contract.
        match unsafe { Self::take(ptr) } {
            Some(r) => Ok(r),
            None => Err(null_handle(Self::NAME)),
        }
    }

    /// Drops the Rust value behind `ptr`; NULL is a no-op.
    ///
    /// # Safety
    /// As for [`Handle::take`].
    #[inline]
    unsafe fn free(ptr: *mut Self) {
        // SAFETY: forwarded caller contract.
        drop(unsafe { Self::take(ptr) });
    }
}

/// The failure for a NULL handle.
#[cold]
#[inline(never)]
fn null_handle(name: &str) -> Failure {
    Failure::invalid(format!("{name} is NULL"))
}

/// Implements [`Handle`] for a handle struct with one field, `inner`.
macro_rules! impl_handle {
    ($handle:ty, $rust:ty, $name:literal) => {
        impl $crate::ffi::handle::Handle for $handle {
            type Rust = $rust;
            const NAME: &'static str = $name;
            fn wrap(rust: $rust) -> Self {
                Self { inner: rust }
            }
            fn unwrap(self) -> $rust {
                self.inner
            }
            fn get(&self) -> &$rust {
                &self.inner
            }
            fn get_mut(&mut self) -> &mut $rust {
                &mut self.inner
            }
        }
    };
}
pub(crate) use impl_handle;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::error::srd_status;
    use crate::ffi::iter::srd_iter;
    use crate::ffi::store::srd_store;
    use crate::ffi::stream::srd_stream;

    #[test]
    fn null_handles_fail_with_their_names() {
        // SAFETY: NULL is allowed by every function of the trait.
        let f = unsafe { srd_store::borrow(std::ptr::null()) }
            .err()
            .unwrap();
        assert_eq!(f.status, srd_status::SRD_INVALID_ARGUMENT);
        assert_eq!(f.text(), "invalid argument: store is NULL");
        // SAFETY: as above.
        let f = unsafe { srd_iter::borrow_mut(std::ptr::null_mut()) }
            .err()
            .unwrap();
        assert_eq!(f.text(), "invalid argument: iter is NULL");
        // SAFETY: as above.
        let f = unsafe { srd_stream::take_required(std::ptr::null_mut()) }
            .err()
            .unwrap();
        assert_eq!(f.text(), "invalid argument: stream is NULL");
        // SAFETY: as above.
        assert!(unsafe { srd_stream::take(std::ptr::null_mut()) }.is_none());
        // SAFETY: as above.
        unsafe { srd_store::free(std::ptr::null_mut()) };
    }
}
