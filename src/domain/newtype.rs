//! The boilerplate every string newtype of the domain shares: `TryFrom<&str>`,
//! `TryFrom<String>`, `as_str()`, `Display`, `AsRef<str>` and `Deref<Target = str>`.

/// A newtype over a `String` that `$check` (`fn(&str) -> Result<(), Invalid>`) accepts.
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The value as written.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::domain::Invalid;

            fn try_from(s: &str) -> Result<Self, Self::Error> {
                $check(s)?;
                Ok(Self(s.to_owned()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::Invalid;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                $check(&s)?;
                Ok(Self(s))
            }
        }

        $crate::domain::newtype::str_traits!($name);
    };
}

/// `Display`, `AsRef<str>` and `Deref<Target = str>` from an inherent `as_str()`: a checked
/// value reads as the text it holds wherever a `&str` is expected (the resolved model's views,
/// `format!`), and cannot be built from one without its check.
macro_rules! str_traits {
    ($name:ident) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                self.as_str()
            }
        }
    };
}

/// `TryFrom<String>` through `TryFrom<&str>`, for types that keep more than the text.
macro_rules! try_from_string {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = $crate::domain::Invalid;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::try_from(s.as_str())
            }
        }
    };
}

pub(crate) use checked_string;
pub(crate) use str_traits;
pub(crate) use try_from_string;
