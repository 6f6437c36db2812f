package main

import (
	"log/slog"
	"strings"
	"testing"
)

// TestErrorBodyText: a server's JSON error body is shown as "code:
// message", so an error line never nests one JSON document, with its
// escaped quotes, inside another.
func TestErrorBodyText(t *testing.T) {
	for body, want := range map[string]string{
		`{"code":"replay","message":"verifier: request \"x\" already answered"}`: `replay: verifier: request "x" already answered`,
		`{"error":"invalid_grant","error_description":"wrong code"}`:             "invalid_grant: wrong code",
		`{"error":"record \"citizen-9\" is not in the register"}`:                `record "citizen-9" is not in the register`,
		"  Service Unavailable\n": "Service Unavailable",
		strings.Repeat("x", 400):  strings.Repeat("x", 300) + "...",
		// A hostile server's escape sequences and bidi overrides are
		// written out, never sent to the terminal.
		"\x1b]0;pwned\x07\x1b[2J":  `\u{001B}]0;pwned\u{0007}\u{001B}[2J`,
		`{"error":"pay \u202e01"}`: `pay \u{202E}01`,
	} {
		if got := errorBodyText(body); got != want {
			t.Errorf("errorBodyText(%q) = %q, want %q", body, got, want)
		}
	}
	e := &httpError{method: "POST", url: "http://127.0.0.1:8082/requests/a/presentations", status: 409,
		body: `{"code":"replay","message":"verifier: request \"x\" already answered"}`}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Error("holder: error", "err", e)
	if strings.Contains(b.String(), `\\\"`) || strings.Contains(e.Error(), `{"code"`) {
		t.Errorf("error nests JSON: %s / %s", e.Error(), b.String())
	}
}
