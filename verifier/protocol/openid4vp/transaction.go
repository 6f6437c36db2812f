package openid4vp

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/zkcred/zkcred/credential/display"
	"github.com/zkcred/zkcred/did/strictjson"
)

// Transaction data types defined by this profile (PROFILE.md, "Transaction
// data"). A Wallet refuses every other type, as OpenID4VP 1.0 §5.1 requires.
const (
	// TypeBallot is the choice in a one-per-person vote: the ballot the
	// proof (with its nullifier) is cast for and the option chosen.
	TypeBallot = "zkcred_ballot"
	// TypeConsent is a text the holder consents to, shown as is.
	TypeConsent = "zkcred_consent"
)

// HashAlgSHA256 is the only transaction_data_hashes_alg this profile
// supports, and the default of OpenID4VP 1.0.
const HashAlgSHA256 = "sha-256"

// Limits on transaction data.
const (
	MaxTransactionData     = 8       // items per request
	MaxTransactionDataSize = 8 << 10 // bytes of one base64url item
	MaxConsentText         = 4 << 10 // bytes of a consent text
	maxShortString         = 256     // bytes of an id, ballot id or choice
)

// TransactionData is one transaction_data item of type [TypeBallot] or
// [TypeConsent]. Which fields are set depends on Type.
type TransactionData struct {
	Type string
	// CredentialIDs name the DCQL credential queries whose credential may
	// authorize the transaction (at least one).
	CredentialIDs []string
	// HashesAlg is transaction_data_hashes_alg; empty means sha-256, and
	// if present it must contain "sha-256".
	HashesAlg []string

	// BallotID identifies the vote and Choice the option chosen
	// (TypeBallot).
	BallotID string
	Choice   string
	// Text is the text consented to (TypeConsent).
	Text string
}

// Wire forms: one struct per type, so a member of another type is an
// unknown member and refused.
type ballotJSON struct {
	Type          string   `json:"type"`
	CredentialIDs []string `json:"credential_ids"`
	HashesAlg     []string `json:"transaction_data_hashes_alg,omitempty"`
	BallotID      string   `json:"ballot_id"`
	Choice        string   `json:"choice"`
}

type consentJSON struct {
	Type          string   `json:"type"`
	CredentialIDs []string `json:"credential_ids"`
	HashesAlg     []string `json:"transaction_data_hashes_alg,omitempty"`
	Text          string   `json:"text"`
}

// Encode returns the item as it travels in transaction_data: the
// base64url (no padding) encoding of its JSON object.
func (td *TransactionData) Encode() (string, error) {
	if err := td.check(); err != nil {
		return "", err
	}
	var v any
	switch td.Type {
	case TypeBallot:
		v = ballotJSON{td.Type, td.CredentialIDs, td.HashesAlg, td.BallotID, td.Choice}
	case TypeConsent:
		v = consentJSON{td.Type, td.CredentialIDs, td.HashesAlg, td.Text}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidTransactionData, err)
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	if len(s) > MaxTransactionDataSize {
		return "", fmt.Errorf("%w: larger than %d bytes", ErrInvalidTransactionData, MaxTransactionDataSize)
	}
	return s, nil
}

// ParseTransactionData decodes one transaction_data item strictly:
// canonical unpadded base64url, a strict JSON object (see
// [strictjson.Unmarshal]) of a known type with exactly that type's members,
// within limits. Errors wrap [ErrInvalidTransactionData].
func ParseTransactionData(s string) (*TransactionData, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidTransactionData}, a...)...)
	}
	if len(s) == 0 || len(s) > MaxTransactionDataSize {
		return nil, bad("item must be 1 to %d bytes", MaxTransactionDataSize)
	}
	b, err := b64.DecodeString(s)
	if err != nil || !isB64URL(s) {
		return nil, bad("not canonical unpadded base64url")
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := strictjson.UnmarshalOpen(b, &head); err != nil {
		return nil, bad("%v", err)
	}
	td := &TransactionData{Type: head.Type}
	switch head.Type {
	case TypeBallot:
		var w ballotJSON
		if err := strictjson.Unmarshal(b, &w); err != nil {
			return nil, bad("%s: %v", head.Type, err)
		}
		td.CredentialIDs, td.HashesAlg, td.BallotID, td.Choice = w.CredentialIDs, w.HashesAlg, w.BallotID, w.Choice
	case TypeConsent:
		var w consentJSON
		if err := strictjson.Unmarshal(b, &w); err != nil {
			return nil, bad("%s: %v", head.Type, err)
		}
		td.CredentialIDs, td.HashesAlg, td.Text = w.CredentialIDs, w.HashesAlg, w.Text
	default:
		return nil, bad("unknown type %.40q", head.Type)
	}
	if err := td.check(); err != nil {
		return nil, err
	}
	return td, nil
}

func (td *TransactionData) check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidTransactionData}, a...)...)
	}
	short := func(s string) bool { return s != "" && len(s) <= maxShortString && utf8.ValidString(s) }
	if len(td.CredentialIDs) == 0 || len(td.CredentialIDs) > MaxCredentialQueries {
		return bad("credential_ids must name 1 to %d credential queries", MaxCredentialQueries)
	}
	for _, id := range td.CredentialIDs {
		if !short(id) {
			return bad("credential id empty or longer than %d bytes", maxShortString)
		}
		if err := display.Check(id, false); err != nil {
			return fmt.Errorf("%w: credential id: %w", ErrInvalidTransactionData, err)
		}
	}
	if td.HashesAlg != nil && !slices.Contains(td.HashesAlg, HashAlgSHA256) {
		return bad("transaction_data_hashes_alg does not offer %s", HashAlgSHA256)
	}
	switch td.Type {
	case TypeBallot:
		if !short(td.BallotID) || !short(td.Choice) || td.Text != "" {
			return bad("%s needs ballot_id and choice of 1 to %d bytes", td.Type, maxShortString)
		}
		for _, f := range [...]struct{ name, s string }{{"ballot_id", td.BallotID}, {"choice", td.Choice}} {
			if err := display.Check(f.s, false); err != nil {
				return fmt.Errorf("%w: %s %s: %w", ErrInvalidTransactionData, td.Type, f.name, err)
			}
		}
	case TypeConsent:
		if td.Text == "" || len(td.Text) > MaxConsentText || !utf8.ValidString(td.Text) || td.BallotID != "" || td.Choice != "" {
			return bad("%s needs a text of 1 to %d bytes", td.Type, MaxConsentText)
		}
		if err := display.Check(td.Text, true); err != nil {
			return fmt.Errorf("%w: %s text: %w", ErrInvalidTransactionData, td.Type, err)
		}
	default:
		return bad("unknown type %.40q", td.Type)
	}
	return nil
}

// TransactionDataHash returns the hash OpenID4VP 1.0 (Appendix B,
// transaction_data_hashes) defines for an item: SHA-256 over the base64url
// string as received, not over its decoding.
func TransactionDataHash(item string) [32]byte {
	return sha256.Sum256([]byte(item))
}
