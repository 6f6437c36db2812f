package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/verifier/protocol"
)

// TestCatalogs: every language has every message, none empty, with the
// same placeholders as English.
func TestCatalogs(t *testing.T) {
	ph := regexp.MustCompile(`\{[a-z]+\}`)
	en := catalogs[0]
	for _, c := range catalogs[1:] {
		for k, v := range en.msgs {
			w, ok := c.msgs[k]
			if !ok || w == "" || v == "" {
				t.Errorf("%s: %q missing or empty", c.tag, k)
				continue
			}
			a, b := ph.FindAllString(v, -1), ph.FindAllString(w, -1)
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(a, b) {
				t.Errorf("%s: %q has placeholders %v, English %v", c.tag, k, b, a)
			}
		}
		for k := range c.msgs {
			if _, ok := en.msgs[k]; !ok {
				t.Errorf("%s: %q is not in English", c.tag, k)
			}
		}
	}
}

// TestReasons: every error the verifier returns (each sentinel, and each
// code of its HTTP API) has a plain message in every language, of the
// right kind; nothing shown to the clerk is a code.
func TestReasons(t *testing.T) {
	for _, c := range []struct {
		err  error
		kind string
		en   string // a phrase of the English message
	}{
		{verifier.ErrDuplicateNullifier, kindRejected, "already voted in this election"},
		{verifier.ErrReplay, kindRejected, "already answered"},
		{verifier.ErrExpiredRequest, kindRejected, "after the request expired"},
		{verifier.ErrUnknownRequest, kindRejected, "not known here"},
		{verifier.ErrInvalidProof, kindRejected, "does not check out"},
		{verifier.ErrUntrustedIssuer, kindRejected, "not from an agency this counter accepts"},
		{fmt.Errorf("%w: %w", verifier.ErrUntrustedIssuer, verifier.ErrUnpinnedKey), kindRejected, "not from an agency"},
		{verifier.ErrStaleRoot, kindRejected, "revocation information"},
		{verifier.ErrUnsatisfiedQuery, kindRejected, "does not prove what was asked"},
		{protocol.ErrInvalidRequest, kindRejected, "does not fit this request"},
		{protocol.ErrMalformedPresentation, kindRejected, "cannot read"},
		{fmt.Errorf("%w: did:web fetch failed", verifier.ErrUnavailable), kindRetry, "the agency's service is unreachable, try again"},
		{fmt.Errorf("%w: %w", verifier.ErrUnavailable, verifier.ErrStore), kindRetry, "records service is unreachable"},
		{verifier.ErrStore, kindRetry, "records service is unreachable"},
		{verifier.ErrDuplicateRequest, kindRetry, "an error in this service"},
		{errors.New("something else"), kindRetry, "an error in this service"},
	} {
		reason := reasonOf(c.err)
		for _, cat := range catalogs {
			v := cat.view(attempt{Status: 400, Error: &verifier.ErrorBody{Code: "x"}, Reason: reason})
			if v.Kind != c.kind || len(v.Lines) != 0 || strings.HasPrefix(v.Headline, "reason.") {
				t.Errorf("%s: %v: %+v", cat.tag, c.err, v)
			}
			if cat.tag.String() == "en" && !strings.Contains(v.Headline, c.en) {
				t.Errorf("%v: %q lacks %q", c.err, v.Headline, c.en)
			}
		}
	}
	// From the code alone (zkcred's own requests), every code of the API.
	for _, code := range []string{
		verifier.CodeInvalidRequest, verifier.CodeMalformedPresentation, verifier.CodeUnknownRequest,
		verifier.CodeExpiredRequest, verifier.CodeReplay, verifier.CodeDuplicateNullifier,
		verifier.CodeUntrustedIssuer, verifier.CodeStaleRoot, verifier.CodeInvalidProof, verifier.CodeTooLarge,
		verifier.CodeUnsupportedMediaType, verifier.CodeNotFound, verifier.CodeMethodNotAllowed,
		verifier.CodeUnavailable, verifier.CodeUnsatisfiedQuery, verifier.CodeInternal, "a-future-code",
	} {
		for _, cat := range catalogs {
			v := cat.view(attempt{Status: 400, Error: &verifier.ErrorBody{Code: code}})
			if strings.HasPrefix(v.Headline, "reason.") || strings.Contains(v.Headline, code) {
				t.Errorf("%s: code %s: %+v", cat.tag, code, v)
			}
		}
	}
}

// TestAcceptedLines: what an accepted answer proved, in words.
func TestAcceptedLines(t *testing.T) {
	res := `{"requestId":"r","presentations":{"pid":[{"issuer":"did:web:agency.example","predicates":[
		{"attribute":"birthDate","op":"ageAtLeast","years":18},
		{"attribute":"district","op":"in","values":["07","08"]},
		{"attribute":"nationality","op":"eq","value":"EE"},
		{"attribute":"residentSince","op":"between","min":"2000-01-01","max":"2010-12-31"}],
		"disclosed":{"voterEligible":true},"nullifier":"00ff"}]}}`
	for lang, want := range map[string][]string{
		"en": {"Over 18: confirmed", "Lives in one of the districts 07 or 08: confirmed", "Nationality is EE: confirmed",
			"Resident since is between 2000-01-01 and 2010-12-31: confirmed", "Eligible to vote: yes", "Has not voted yet in this election: confirmed"},
		"et": {"Vähemalt 18-aastane: kinnitatud", "Elab ühes piirkondadest 07 või 08: kinnitatud", "Kodakondsus on EE: kinnitatud",
			"Elanik alates on vahemikus 2000-01-01 kuni 2010-12-31: kinnitatud", "Hääleõigus: jah", "Pole nendel valimistel veel hääletanud: kinnitatud"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", lang)
		v := catalogFor(r).view(attempt{Status: http.StatusOK, Result: json.RawMessage(res)})
		if v.Kind != kindAccepted || !slices.Equal(v.Lines, want) {
			t.Errorf("%s: %+v\nwant %q", lang, v, want)
		}
	}
	// zkcred's own result (one Result), and one that proves nothing.
	v := catalogs[0].view(attempt{Status: 200, Result: json.RawMessage(`{"predicates":[{"attribute":"district","op":"eq","value":"07"}]}`)})
	if !slices.Equal(v.Lines, []string{"Lives in district 07: confirmed"}) {
		t.Errorf("own result: %q", v.Lines)
	}
	if v := catalogs[0].view(attempt{Status: 200, Result: json.RawMessage(`{}`)}); !slices.Equal(v.Lines, []string{"Valid credential: confirmed"}) {
		t.Errorf("empty result: %q", v.Lines)
	}
}

// TestLanguageChoice: the Accept-Language header picks the catalog.
func TestLanguageChoice(t *testing.T) {
	for header, want := range map[string]string{
		"":                         "en",
		"et":                       "et",
		"et-EE,et;q=0.9,en;q=0.8":  "et",
		"en-GB,en;q=0.9,et;q=0.5":  "en",
		"de-DE,de;q=0.9":           "en",
		"de,et;q=0.5":              "et",
		"*":                        "en",
		"not a ;; header":          "en",
		strings.Repeat("et,", 200): "en", // over maxAcceptLanguage
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", header)
		if got := catalogFor(r).tag.String(); got != want {
			t.Errorf("Accept-Language %.40q: %s, want %s", header, got, want)
		}
	}
}
