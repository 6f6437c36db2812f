package credential_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
)

// exampleIssuer returns an issuer with fixed example keys and a resolver
// that knows its DID document. Real issuers generate their keys with
// crypto/rand and publish the document (did:web).
func exampleIssuer() (*credential.Issuer, did.Resolver) {
	const issuerDID = "did:web:agency.example"
	joseKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	zkKey, err := credential.NewZKPrivateKey(bytes.Repeat([]byte{2}, 32))
	if err != nil {
		log.Fatal(err)
	}
	doc := &did.Document{ID: issuerDID}
	for id, pub := range map[string]any{"#jose-1": joseKey.Public(), "#zk-1": zkKey.Public()} {
		vm, err := did.NewMultikeyMethod(issuerDID+id, issuerDID, pub)
		if err != nil {
			log.Fatal(err)
		}
		if err := doc.AddVerificationMethod(vm, did.AssertionMethod); err != nil {
			log.Fatal(err)
		}
	}
	resolver, err := did.NewStaticResolver(doc)
	if err != nil {
		log.Fatal(err)
	}
	return &credential.Issuer{
		DID:       issuerDID,
		JOSEKey:   joseKey,
		JOSEKeyID: issuerDID + "#jose-1",
		ZKKey:     zkKey,
		ZKKeyID:   issuerDID + "#zk-1",
		Clock:     func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) },
	}, resolver
}

func ExampleIssuer_Issue() {
	issuer, resolver := exampleIssuer()

	// The holder generates its secret and sends only the commitment.
	secret, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		log.Fatal(err)
	}

	stored, err := issuer.Issue(credential.IssueRequest{
		Schema: credential.PersonSchema(),
		Values: map[string]any{
			"birthDate":         "1990-05-17",
			"district":          "07",
			"nationality":       "FR",
			"vehicleCategory":   "B",
			"vehicleRegistered": true,
			"voterEligible":     true,
			"residentSince":     "2015-03-01",
		},
		HolderCommitment: secret.Commitment(),
		ValidUntil:       time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC),
		RevocationID:     123456789,
		Types:            []string{"PersonCredential"},
	})
	if err != nil {
		log.Fatal(err)
	}

	// The holder checks what it received and stores it (FORMAT.md).
	now := func() time.Time { return time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC) }
	vc, err := stored.Verify(context.Background(), resolver, credential.VerifyOptions{Clock: now})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("bound to my secret:", stored.CheckHolder(secret) == nil)
	fmt.Println("issuer:", vc.Issuer.ID)
	fmt.Println("birthDate:", vc.CredentialSubject[0].Claims["birthDate"])
	fmt.Println("slots:", len(stored.Slots), "expiry:", stored.Expiry)
	// Output:
	// bound to my secret: true
	// issuer: did:web:agency.example
	// birthDate: 1990-05-17
	// slots: 16 expiry: 1938038400
}

func ExampleVerifyJWT() {
	issuer, resolver := exampleIssuer()
	c := &credential.Credential{
		Context:           []any{credential.ContextV2},
		Type:              []string{credential.TypeVerifiableCredential},
		Issuer:            credential.IssuerRef{ID: issuer.DID},
		ValidUntil:        time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC),
		CredentialSubject: []credential.Subject{{ID: "did:example:holder", Claims: map[string]any{"district": "07"}}},
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	token, err := credential.IssueJWT(c, issuer.JOSEKey, issuer.JOSEKeyID, now)
	if err != nil {
		log.Fatal(err)
	}

	opts := credential.VerifyOptions{Clock: func() time.Time { return now }}
	vc, err := credential.VerifyJWT(context.Background(), resolver, token, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("district:", vc.CredentialSubject[0].Claims["district"])

	// A token from an untrusted key, or past its validity, is refused.
	late := credential.VerifyOptions{Clock: func() time.Time { return now.AddDate(10, 0, 0) }}
	_, err = credential.VerifyJWT(context.Background(), resolver, token, late)
	fmt.Println("expired:", errors.Is(err, credential.ErrExpired))
	// Output:
	// district: 07
	// expired: true
}
