//! The English texts of the enum values, as static C strings.

use std::ffi::{c_char, CStr, CString};
use std::ptr::null;
use std::sync::OnceLock;

use tcpprobe_core::{notes, Class, EndCause, EpisodeKind, ProbeStyle, Reason, Unanswered};

use crate::fence::fence;

/// NUL-terminated copies of the core's texts, indexed by enum value; built once.
struct Texts {
    classes: Vec<Option<CString>>,
    styles: Vec<Option<CString>>,
    reasons: Vec<Option<CString>>,
    kinds: Vec<Option<CString>>,
    end_causes: Vec<Option<CString>>,
    unanswered: Vec<Option<CString>>,
    /// Indexed by bit number.
    notes: Vec<Option<CString>>,
}

fn texts() -> &'static Texts {
    static TEXTS: OnceLock<Texts> = OnceLock::new();
    TEXTS.get_or_init(|| {
        /// `zero`: the text of the ABI's value 0 ("none of these"), which the core's enums lack.
        fn table<T: Copy>(
            all: &[T],
            value: fn(T) -> u8,
            text: fn(T) -> &'static str,
            zero: Option<&str>,
        ) -> Vec<Option<CString>> {
            let len = all
                .iter()
                .map(|&t| value(t) as usize + 1)
                .max()
                .unwrap_or(0);
            let mut v = vec![None; len];
            v[0] = zero.map(|z| CString::new(z).expect("texts have no NUL"));
            for &t in all {
                v[value(t) as usize] = Some(CString::new(text(t)).expect("texts have no NUL"));
            }
            v
        }
        Texts {
            // The values 0 the header defines (TCPPROBE_*_NONE, TCPPROBE_END_OPEN) have texts too;
            // NULL is for values the header does not define.
            classes: table(
                &Class::ALL,
                |c| c as u8,
                Class::name,
                Some("not a probe or its ACK"),
            ),
            styles: table(
                &ProbeStyle::ALL,
                |s| s as u8,
                ProbeStyle::description,
                Some("none (not a probe)"),
            ),
            reasons: table(
                &Reason::ALL,
                |r| r as u8,
                Reason::description,
                Some("none (no verdict)"),
            ),
            kinds: table(
                &EpisodeKind::ALL,
                |k| k as u8,
                EpisodeKind::description,
                None,
            ),
            end_causes: table(
                &EndCause::ALL,
                |c| c as u8,
                EndCause::description,
                Some("still open when the capture ended"),
            ),
            unanswered: table(&Unanswered::ALL, |u| u as u8, Unanswered::description, None),
            notes: table(
                &notes::ALL,
                |(bit, _)| bit.trailing_zeros() as u8,
                |(_, text)| text,
                None,
            ),
        }
    })
}

/// The text of `value` in the table `pick` chooses, or NULL; the texts' entry points run in here.
fn lookup(pick: fn(&'static Texts) -> &'static [Option<CString>], value: u8) -> *const c_char {
    fence(null(), || {
        pick(texts())
            .get(value as usize)
            .and_then(|t| t.as_deref())
            .map_or(null(), CStr::as_ptr)
    })
}

/// Static, NUL-terminated English texts for the enum values, or NULL for an unknown value.
#[no_mangle]
pub extern "C" fn tcpprobe_class_name(verdict_class: u8) -> *const c_char {
    lookup(|t| &t.classes, verdict_class)
}

#[no_mangle]
pub extern "C" fn tcpprobe_style_description(style: u8) -> *const c_char {
    lookup(|t| &t.styles, style)
}

#[no_mangle]
pub extern "C" fn tcpprobe_reason_description(reason: u8) -> *const c_char {
    lookup(|t| &t.reasons, reason)
}

#[no_mangle]
pub extern "C" fn tcpprobe_episode_kind_description(kind: u8) -> *const c_char {
    lookup(|t| &t.kinds, kind)
}

#[no_mangle]
pub extern "C" fn tcpprobe_end_cause_description(cause: u8) -> *const c_char {
    lookup(|t| &t.end_causes, cause)
}

#[no_mangle]
pub extern "C" fn tcpprobe_unanswered_description(likely: u8) -> *const c_char {
    lookup(|t| &t.unanswered, likely)
}

/// For one TCPPROBE_NOTE_* bit.
#[no_mangle]
pub extern "C" fn tcpprobe_note_description(note_bit: u32) -> *const c_char {
    fence(null(), || {
        if !note_bit.is_power_of_two() {
            return null();
        }
        lookup(|t| &t.notes, note_bit.trailing_zeros() as u8)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_enum_value_has_a_text_and_unknown_ones_get_null() {
        for c in Class::ALL {
            let p = tcpprobe_class_name(c as u8);
            assert_eq!(unsafe { CStr::from_ptr(p) }.to_str().unwrap(), c.name());
        }
        for r in Reason::ALL {
            assert!(!tcpprobe_reason_description(r as u8).is_null());
        }
        for s in ProbeStyle::ALL {
            assert!(!tcpprobe_style_description(s as u8).is_null());
        }
        for k in EpisodeKind::ALL {
            assert!(!tcpprobe_episode_kind_description(k as u8).is_null());
        }
        for c in EndCause::ALL {
            assert!(!tcpprobe_end_cause_description(c as u8).is_null());
        }
        for u in Unanswered::ALL {
            assert!(!tcpprobe_unanswered_description(u as u8).is_null());
        }
        for (bit, text) in notes::ALL {
            let p = tcpprobe_note_description(bit);
            assert_eq!(unsafe { CStr::from_ptr(p) }.to_str().unwrap(), text);
        }
        assert!(tcpprobe_note_description(0).is_null());
        assert!(tcpprobe_note_description(3).is_null());
        assert!(tcpprobe_note_description(1 << 31).is_null());
        // The header's values 0 have texts; undefined values get NULL.
        let text = |p: *const c_char| unsafe { CStr::from_ptr(p) }.to_str().unwrap();
        assert_eq!(
            text(tcpprobe_end_cause_description(0)),
            "still open when the capture ended"
        );
        assert_eq!(text(tcpprobe_class_name(0)), "not a probe or its ACK");
        assert!(!tcpprobe_style_description(0).is_null());
        assert!(!tcpprobe_reason_description(0).is_null());
        assert!(tcpprobe_reason_description(200).is_null());
        assert!(tcpprobe_class_name(5).is_null());
        assert!(tcpprobe_episode_kind_description(0).is_null());
        assert!(tcpprobe_unanswered_description(0).is_null());
    }
}
