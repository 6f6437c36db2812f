package openid4vp

import (
	"errors"
	"testing"
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
