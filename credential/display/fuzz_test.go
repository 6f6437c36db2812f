package display

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzCheck: Check never panics; what it accepts is valid UTF-8 without
// control characters (LF only with lines) or format characters other than
// ZWNJ and ZWJ; what it refuses wraps ErrNotDisplayable; a one-line text
// it accepts is also accepted as a multi-line one.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "ballot-2026", "pay \u202e01", "a\nb", "a\r\nb", "\xff", "👩\u200d💻", "vote\u200b", "\U000e0041"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, lines bool) {
		err := Check(s, lines)
		if err != nil {
			if !errors.Is(err, ErrNotDisplayable) {
				t.Fatalf("error %v does not wrap ErrNotDisplayable", err)
			}
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("accepted invalid UTF-8 %+q", s)
		}
		if i := strings.IndexFunc(s, func(r rune) bool {
			return r == '\n' && !lines || r != '\n' && unicode.Is(unicode.Cc, r) ||
				unicode.Is(unicode.Cf, r) && r != 0x200c && r != 0x200d
		}); i >= 0 {
			t.Fatalf("accepted %+q (lines %v): refused character at byte %d", s, lines, i)
		}
		if !lines && Check(s, true) != nil {
			t.Fatalf("%+q accepted as one line, refused as a text", s)
		}
	})
}

// FuzzEscape: whatever the input, the result passes Check on one line
// and is at most 12 bytes per input byte shown, plus "...".
func FuzzEscape(f *testing.F) {
	f.Add("pay \u202e01\x1b[31m\xff\\", 5)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max > 1<<20 || max < -1 {
			max = 0
		}
		got := Escape(s, max)
		if err := Check(got, false); err != nil {
			t.Fatalf("Escape(%q) = %q does not pass Check: %v", s, got, err)
		}
		if len(got) > 12*len(s)+3 {
			t.Fatalf("Escape(%q) grew to %d bytes", s, len(got))
		}
	})
}
