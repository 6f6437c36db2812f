package display

import (
	"errors"
	"testing"
)

// TestCheckAttackHiddenText: every kind of character with which a
// request or offer could show the holder text that reads otherwise than
// its bytes is refused; ordinary text in any script is not.
func TestCheckAttackHiddenText(t *testing.T) {
	for _, s := range []string{
		// Bidirectional overrides, embeddings, isolates and marks.
		"pay \u202e01", "a\u202ab", "a\u202bb", "a\u202cb", "a\u202db",
		"a\u2066b", "a\u2067b", "a\u2068b", "a\u2069b",
		"a\u200eb", "a\u200fb", "a\u061cb",
		// C0, DEL and C1 controls (ANSI escapes, carriage return).
		"ok\x1b[8mhidden", "a\rb", "a\tb", "a\x00b", "a\x7fb", "a\u0085b", "a\u009bb",
		// Invisible characters: zero-width space, word joiner, BOM,
		// soft hyphen, tags, separators, fillers.
		"vote\u200b", "a\u2060b", "a\u2064b", "\ufeffa", "a\u00adb", "a\U000e0041b",
		"a\u2028b", "a\u2029b", "a\u034fb", "a\u3164b", "a\u180eb", "a\ufff9b",
		// Invalid UTF-8.
		"a\xffb",
	} {
		if err := Check(s, true); !errors.Is(err, ErrNotDisplayable) {
			t.Errorf("Check(%+q): %v, want ErrNotDisplayable", s, err)
		}
	}
	for _, s := range []string{
		"", "I agree to pay 10 EUR", "Ich stimme zu: Größe", "ballot-2026",
		"مرحبا بالعالم", "שלום", "می\u200cخواهم", "क्\u200dष", "👩\u200d💻", "日本語", "✓ 07",
	} {
		if err := Check(s, false); err != nil {
			t.Errorf("Check(%+q): %v", s, err)
		}
	}
	if err := Check("line one\nline two", true); err != nil {
		t.Errorf("LF in a text: %v", err)
	}
	if err := Check("line one\nline two", false); !errors.Is(err, ErrNotDisplayable) {
		t.Errorf("LF in a name: %v, want ErrNotDisplayable", err)
	}
}

// TestEscape: what Check refuses is written out, the result always
// passes Check on one line, and the limit cuts at a character boundary.
func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain text: ok":        "plain text: ok",
		"pay \u202e01":          `pay \u{202E}01`,
		"\x1b]0;title\x07red":   `\u{001B}]0;title\u{0007}red`,
		"two\nlines":            `two\u{000A}lines`,
		"bad \xff byte":         `bad \xff byte`,
		`back\slash`:            `back\\slash`,
		"zero\u200bwidth":       `zero\u{200B}width`,
		"persian \u200c joiner": "persian \u200c joiner",
		"ünïcödé and 日本語 stay":  "ünïcödé and 日本語 stay",
	} {
		got := Escape(in, 0)
		if got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
		if err := Check(got, false); err != nil {
			t.Errorf("Escape(%q) does not pass Check: %v", in, err)
		}
	}
	if got := Escape("ab日本", 3); got != "ab日..." {
		t.Errorf("clipped: %q", got)
	}
	if got := Escape("abc", 3); got != "abc" {
		t.Errorf("exactly the limit: %q", got)
	}
}
