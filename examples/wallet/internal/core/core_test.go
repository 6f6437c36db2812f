package core

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential"
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

// TestDescribe: the consent screen names who asks, what is proven, shown
// and signed, and lists the credential's other attributes as hidden.
func TestDescribe(t *testing.T) {
	w, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	schema := credential.PersonSchema()
	w.entries = []*Entry{{Version: EntryVersion, Stored: &credential.Stored{Issuer: "did:web:agency.example", Schema: schema}}}
	c := w.describe(&openid4vp.Description{
		Verifier: "did:web:vote.example", ResponseURI: "https://vote.example/openid4vp/response",
		Presentations: []openid4vp.PresentationDescription{{Issuer: "did:web:agency.example", Schema: schema.Name + " v1",
			Proven: []string{"you are at least 18 years old (by your birthDate)"}, Disclosed: []string{"voterEligible"}, OncePerPerson: "ballot-1"}},
		TransactionData: []*openid4vp.TransactionData{{Type: openid4vp.TypeBallot, BallotID: "ballot-1", Choice: "yes"}},
	})
	if c.Verifier != "vote.example" || c.Credential != "your personal identity credential from agency.example" ||
		len(c.Signed) != 1 || c.Signed[0] != `You vote "yes" in ballot "ballot-1".` || len(c.OncePer) != 1 {
		t.Errorf("%+v", c)
	}
	if !slices.Contains(c.Hidden, "birthDate") || slices.Contains(c.Hidden, "voterEligible") || len(c.Hidden) != len(schema.Attributes)-1 {
		t.Errorf("hidden %v", c.Hidden)
	}
}
