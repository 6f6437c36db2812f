package openid4vp

import (
	"errors"
	"testing"

	"github.com/zkcred/zkcred/credential/display"
)

// TestPresentationAttackOtherVersionMember: a vp_token value carries its
// own version's member only; the other version's, even empty, is refused
// (one encoding per presentation, no v1/v2 hybrid).
func TestPresentationAttackOtherVersionMember(t *testing.T) {
	for _, b := range []string{
		`{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":{},"checkpoint":"x","revocation_root":""}`,
		`{"version":"zkcred-vp-zkp-v1","claim_set":0,"submission":{},"revocation_root":"x","checkpoint":""}`,
		`{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":{},"checkpoint":"x","revocation_root":null}`,
	} {
		if _, err := ParsePresentation([]byte(b)); !errors.Is(err, ErrInvalidResponse) {
			t.Errorf("%s: %v, want ErrInvalidResponse", b, err)
		}
	}
	for _, b := range []string{
		`{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":{},"checkpoint":"x"}`,
		`{"version":"zkcred-vp-zkp-v1","claim_set":0,"submission":{},"revocation_root":"x"}`,
	} {
		if _, err := ParsePresentation([]byte(b)); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
}

// TestTransactionDataAttackBidi: a consent text or ballot the holder
// signs reads as its bytes: control characters and bidirectional
// formatting characters (U+202E shows "pay 01" as "10 yap") are refused;
// line breaks in a consent text are allowed.
func TestTransactionDataAttackBidi(t *testing.T) {
	for _, td := range []*TransactionData{
		{Type: TypeConsent, CredentialIDs: []string{"pid"}, Text: "I agree to pay \u202e01 EUR"},
		{Type: TypeConsent, CredentialIDs: []string{"pid"}, Text: "ok\u2066hidden"},
		{Type: TypeConsent, CredentialIDs: []string{"pid"}, Text: "ok\x1b[8m"},
		{Type: TypeConsent, CredentialIDs: []string{"pid"}, Text: "ok\rover"},
		{Type: TypeBallot, CredentialIDs: []string{"pid"}, BallotID: "b1", Choice: "\u202eon"},
		{Type: TypeBallot, CredentialIDs: []string{"pid"}, BallotID: "b\n1", Choice: "yes"},
	} {
		if err := td.check(); !errors.Is(err, ErrInvalidTransactionData) {
			t.Errorf("%+q: %v, want ErrInvalidTransactionData", td.Text+td.BallotID+td.Choice, err)
		}
	}
	for _, td := range []*TransactionData{
		{Type: TypeConsent, CredentialIDs: []string{"pid"}, Text: "Ma nõustun.\nI agree: ÄÖÜ, عربى, 日本"},
		{Type: TypeBallot, CredentialIDs: []string{"pid"}, BallotID: "valimised-2027", Choice: "jah"},
	} {
		if err := td.check(); err != nil {
			t.Errorf("%q: %v", td.Text+td.Choice, err)
		}
	}
}

// TestRequestObjectAttackBidiResponseURI: the client_id and response_uri
// a wallet shows ("The answer goes to ...") read as their characters: a
// response_uri with U+202E could show the holder another host than the
// one the answer goes to. Refused with ErrInvalidRequest and
// display.ErrNotDisplayable.
func TestRequestObjectAttackBidiResponseURI(t *testing.T) {
	if err := testRequestObject(t).Check(false); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	for _, uri := range []string{
		"https://verifier.example/\u202evog.ycnega//:sptth",
		"https://verifier.example/a\u2066b",
		"https://verifier.example/\u200b",
	} {
		ro := testRequestObject(t)
		ro.ResponseURI = uri
		if err := ro.Check(false); !errors.Is(err, ErrInvalidRequest) || !errors.Is(err, display.ErrNotDisplayable) {
			t.Errorf("%+q: %v, want ErrInvalidRequest and display.ErrNotDisplayable", uri, err)
		}
	}
}

// TestTransactionDataAttackInvisible: the shared rule (credential/display)
// also refuses invisible characters in what the holder signs (a ballot
// choice that looks like another, a hidden word in a consent text), and
// the error wraps display.ErrNotDisplayable too.
func TestTransactionDataAttackInvisible(t *testing.T) {
	for _, td := range []*TransactionData{
		{Type: TypeBallot, CredentialIDs: []string{"pid"}, BallotID: "b1", Choice: "yes\u200b"},
		{Type: TypeBallot, CredentialIDs: []string{"pid"}, BallotID: "b1\u2060", Choice: "yes"},
		{Type: TypeConsent, CredentialIDs: []string{"pid"}, Text: "I agree\ufeff"},
		{Type: TypeConsent, CredentialIDs: []string{"pid"}, Text: "I agree\u2028not"},
		{Type: TypeConsent, CredentialIDs: []string{"pid"}, Text: "I \U000e0061gree"},
	} {
		if err := td.check(); !errors.Is(err, ErrInvalidTransactionData) || !errors.Is(err, display.ErrNotDisplayable) {
			t.Errorf("%+q: %v, want ErrInvalidTransactionData and display.ErrNotDisplayable", td.Text+td.BallotID+td.Choice, err)
		}
	}
}
