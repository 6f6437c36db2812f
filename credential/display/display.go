// Package display holds the one rule for text a wallet shows its holder
// from a request or an offer (a consent text, a ballot, a nullifier scope,
// a value a predicate compares with, a transaction code hint): it reads
// as its characters. Without the rule a verifier or issuer could show the
// holder text that reads otherwise than the bytes it signs or answers
// (U+202E reverses what follows: "pay \u202e01" shows as "pay 10"), hide
// text (ANSI escapes, zero-width characters), or make two different scopes
// look alike.
//
// [Check] refuses, with an error wrapping [ErrNotDisplayable]:
//   - invalid UTF-8;
//   - control characters (C0, DEL and C1: Unicode category Cc), except LF
//     in a multi-line text;
//   - format characters (category Cf: the bidirectional marks, embeddings,
//     overrides and isolates U+061C, U+200E, U+200F, U+202A–U+202E,
//     U+2066–U+2069, the zero-width space U+200B, U+2060–U+2064, the byte
//     order mark U+FEFF, the soft hyphen U+00AD, tag characters
//     U+E0001–U+E007F, interlinear annotation U+FFF9–U+FFFB and the rest
//     of Cf), except the zero-width non-joiner and joiner U+200C and
//     U+200D, which Persian, Indic scripts and emoji need;
//   - the line and paragraph separators U+2028 and U+2029;
//   - characters that render as nothing: the combining grapheme joiner
//     U+034F, the Hangul fillers U+115F, U+1160, U+3164, U+FFA0 and the
//     Mongolian free variation selectors U+180B–U+180F.
package display

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// ErrNotDisplayable is wrapped by [Check]'s errors: the text holds a
// character that does not show as itself (see the package doc).
var ErrNotDisplayable = errors.New("display: text has control, bidirectional formatting or invisible characters")

// Check returns nil if s reads as its characters (the package doc lists
// what is refused), or an error wrapping [ErrNotDisplayable] naming the
// first refused character by its code point. With lines, s may break
// lines with LF (a consent text); otherwise it is one line (a name, a
// value). Callers wrap the error with their own sentinel too.
func Check(s string, lines bool) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return fmt.Errorf("%w: invalid UTF-8 at byte %d", ErrNotDisplayable, i)
			}
		}
		if !shows(r, lines) {
			return fmt.Errorf("%w: U+%04X at byte %d", ErrNotDisplayable, r, i)
		}
	}
	return nil
}

// shows reports whether r shows as itself (see the package doc).
func shows(r rune, lines bool) bool {
	switch {
	case r == '\n':
		return lines
	case r == 0x200c, r == 0x200d:
		return true
	case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r),
		r == 0x2028, r == 0x2029,
		r == 0x034f, r == 0x115f, r == 0x1160, r == 0x3164, r == 0xffa0,
		r >= 0x180b && r <= 0x180f:
		return false
	}
	return true
}

// Escape returns s for showing where it may hold anything (an error text a
// server sent, shown on a terminal or in a log line): every character
// [Check] refuses on one line (LF included) is written as \u{XXXX}, each
// byte of invalid UTF-8 as \xNN, and a backslash as \\, so the result
// passes Check and reads back unambiguously. Only the characters that
// start within the first max bytes of s are shown, followed by "..." if
// any are left out; max ≤ 0 means no limit.
func Escape(s string, max int) string {
	var b []byte
	for i := 0; i < len(s); {
		if max > 0 && i >= max {
			return string(append(b, "..."...))
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = fmt.Appendf(b, `\x%02x`, s[i])
		case r == '\\':
			b = append(b, `\\`...)
		case !shows(r, false):
			b = fmt.Appendf(b, `\u{%04X}`, r)
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b)
}
