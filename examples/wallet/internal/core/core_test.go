package core

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// TestPlainWords: every error the wallet reports reads as a sentence for a
// citizen, never a chain of Go error prefixes.
func TestPlainWords(t *testing.T) {
	wrapped := func(s error) error { return fmt.Errorf("openid4vp: outer: %w: inner detail", s) }
	for _, c := range []struct {
		err  error
		want string
	}{
		{wrapped(openid4vp.ErrConsentDenied), "You declined. Nothing was proven or sent."},
		{wrapped(openid4vp.ErrExpired), "The request expired, ask for a new one."},
		{fmt.Errorf("%w: status 404", openid4vp.ErrFetch), "The request expired, ask for a new one."},
		{fmt.Errorf("%w: %w", openid4vp.ErrFetch, fetch.ErrFetch), "could not reach the verifier"},
		{wrapped(openid4vp.ErrClientKey), "could not confirm who sent this request"},
		{wrapped(openid4vp.ErrInvalidRequestObject), "not a valid request"},
		{wrapped(openid4vp.ErrVerifierUnavailable), "Try again in a moment"},
		{errNoKeys, "still loading"},
		{errKeysDigest, "not the published ones"},
		{errors.New("something unexpected: with: prefixes"), "could not complete this. Nothing was sent."},
	} {
		o := plain(c.err)
		if !strings.Contains(o.Message, c.want) || strings.Contains(o.Message, "openid4vp:") || strings.Contains(o.Message, "detail") {
			t.Errorf("%v: %q, want %q", c.err, o.Message, c.want)
		}
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{errNeedPIN, "Enter the PIN"},
		{fmt.Errorf("x: %w", openid4vci.ErrOfferLocked), "locked"},
		{&openid4vci.ServerError{Code: "invalid_grant"}, "The PIN is wrong"},
		{fmt.Errorf("x: %w", openid4vci.ErrInvalidOffer), "not a valid credential offer"},
		{fmt.Errorf("x: %w", fetch.ErrFetch), "could not be reached"},
		{errBadCredential, "could not verify"},
	} {
		if got := PlainError(c.err); !strings.Contains(got, c.want) {
			t.Errorf("%v: %q, want %q", c.err, got, c.want)
		}
	}
}

func TestAsksFor(t *testing.T) {
	years := 18
	for _, c := range []struct {
		p    protocol.Predicate
		want string
	}{
		{protocol.Predicate{Attribute: "birthDate", Op: protocol.OpAgeAtLeast, Years: &years}, "age 18 or over"},
		{protocol.Predicate{Attribute: "district", Op: protocol.OpIn, Values: []protocol.Value{protocol.StringValue("07"), protocol.StringValue("08")}}, "district one of"},
	} {
		if got := asksFor(c.p); !strings.Contains(got, c.want) {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}

func TestOfferFromLink(t *testing.T) {
	const offer = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example%2Foffers%2F1"
	for _, in := range []string{offer, " " + offer + "\n", "https://wallet.example/#" + offer} {
		if got := offerFromLink(in); got != offer {
			t.Errorf("%q: %q", in, got)
		}
	}
}
