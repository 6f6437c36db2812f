package openid4vp

import (
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestTransactionDataRoundTrip(t *testing.T) {
	for _, td := range []*TransactionData{
		{Type: TypeBallot, CredentialIDs: []string{"pid"}, BallotID: "referendum-2026-12", Choice: "yes"},
		{Type: TypeBallot, CredentialIDs: []string{"pid", "mdl"}, HashesAlg: []string{"sha-384", HashAlgSHA256}, BallotID: "b", Choice: "Ünïcode ✓"},
		{Type: TypeConsent, CredentialIDs: []string{"pid"}, Text: "I consent."},
	} {
		s, err := td.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseTransactionData(s)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, td) {
			t.Errorf("round trip: got %+v, want %+v", got, td)
		}
		// OpenID4VP 1.0 Appendix B: SHA-256 over the base64url string as
		// received, not over the decoded JSON.
		if TransactionDataHash(s) != sha256.Sum256([]byte(s)) {
			t.Error("hash is not over the base64url string")
		}
	}
}

// TestRejectTransactionData lists refused items by reason.
func TestRejectTransactionData(t *testing.T) {
	good := b64e(`{"type":"zkcred_ballot","credential_ids":["pid"],"ballot_id":"b","choice":"yes"}`)
	if _, err := ParseTransactionData(good); err != nil {
		t.Fatal(err)
	}
	// flip: a valid item whose encoding has unused low bits in its last
	// character, with one of them set: the same bytes, a second spelling.
	var flip string
	for c := "y"; flip == ""; c += "y" {
		s := b64e(`{"type":"zkcred_ballot","credential_ids":["pid"],"ballot_id":"b","choice":"` + c + `"}`)
		if len(s)%4 != 0 {
			if _, err := ParseTransactionData(s); err != nil {
				t.Fatal(err)
			}
			flip = flipLowBit(s)
			if b64d(flip) != b64d(s) {
				t.Fatal("flipLowBit changed the bytes")
			}
		}
	}
	tests := map[string]string{
		// Unknown types (OpenID4VP 1.0 §5.1: the Wallet MUST return an error).
		"unknown type":         b64e(`{"type":"payment_data","credential_ids":["pid"]}`),
		"no type":              b64e(`{"credential_ids":["pid"],"ballot_id":"b","choice":"yes"}`),
		"type case variant":    b64e(`{"type":"ZKCRED_BALLOT","credential_ids":["pid"],"ballot_id":"b","choice":"yes"}`),
		"type member variant":  b64e(`{"Type":"zkcred_ballot","credential_ids":["pid"],"ballot_id":"b","choice":"yes"}`),
		"type not a string":    b64e(`{"type":1,"credential_ids":["pid"]}`),
		"consent with choice":  b64e(`{"type":"zkcred_consent","credential_ids":["pid"],"text":"t","choice":"yes"}`),
		"ballot unknown field": b64e(`{"type":"zkcred_ballot","credential_ids":["pid"],"ballot_id":"b","choice":"yes","weight":2}`),
		// Missing or invalid required fields.
		"no credential_ids":          b64e(`{"type":"zkcred_ballot","ballot_id":"b","choice":"yes"}`),
		"empty credential_ids":       b64e(`{"type":"zkcred_ballot","credential_ids":[],"ballot_id":"b","choice":"yes"}`),
		"empty credential id":        b64e(`{"type":"zkcred_ballot","credential_ids":[""],"ballot_id":"b","choice":"yes"}`),
		"no choice":                  b64e(`{"type":"zkcred_ballot","credential_ids":["pid"],"ballot_id":"b"}`),
		"empty consent text":         b64e(`{"type":"zkcred_consent","credential_ids":["pid"],"text":""}`),
		"consent text too long":      b64e(`{"type":"zkcred_consent","credential_ids":["pid"],"text":"` + strings.Repeat("a", MaxConsentText+1) + `"}`),
		"hashes alg without sha-256": b64e(`{"type":"zkcred_ballot","credential_ids":["pid"],"transaction_data_hashes_alg":["sha-384"],"ballot_id":"b","choice":"yes"}`),
		// Strict JSON.
		"duplicate member": b64e(`{"type":"zkcred_ballot","credential_ids":["pid"],"ballot_id":"b","choice":"yes","choice":"no"}`),
		"trailing data":    b64e(`{"type":"zkcred_ballot","credential_ids":["pid"],"ballot_id":"b","choice":"yes"} {}`),
		"invalid UTF-8":    b64e("{\"type\":\"zkcred_ballot\",\"credential_ids\":[\"pid\"],\"ballot_id\":\"b\",\"choice\":\"\xff\"}"),
		"not an object":    b64e(`["zkcred_ballot"]`),
		// Not canonical unpadded base64url.
		"padding":           good + "=",
		"standard alphabet": strings.ReplaceAll(b64e(`{"type":"zkcred_consent","credential_ids":["pid"],"text":"??>>"}`), "_", "/"),
		"non-zero pad bits": flip,
		"line break":        good[:8] + "\n" + good[8:],
		"empty":             "",
		"too large":         strings.Repeat("A", MaxTransactionDataSize+4),
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			td, err := ParseTransactionData(s)
			if !errors.Is(err, ErrInvalidTransactionData) || td != nil {
				t.Fatalf("err = %v, want ErrInvalidTransactionData", err)
			}
			if ErrorCode(err) != CodeInvalidTransactionData {
				t.Errorf("code %s", ErrorCode(err))
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	for name, td := range map[string]*TransactionData{
		"unknown type":     {Type: "payment", CredentialIDs: []string{"pid"}},
		"ballot with text": {Type: TypeBallot, CredentialIDs: []string{"pid"}, BallotID: "b", Choice: "c", Text: "t"},
		"no credential":    {Type: TypeConsent, Text: "t"},
	} {
		if _, err := td.Encode(); !errors.Is(err, ErrInvalidTransactionData) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// flipLowBit sets the lowest bit of the last base64url character, an
// unused bit when the length is not a multiple of 4.
func flipLowBit(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[i|1])
}
