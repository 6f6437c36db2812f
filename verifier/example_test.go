package verifier_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/consensys/gnark/logger"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/zkp"
)

// Example runs a one-per-person vote: an agency issues a credential, the
// ballot box asks for "adult, lives in district 07 or 08" with a nullifier
// scope, the citizen's wallet answers, and the ballot box accepts the first
// ballot and refuses the second.
func Example() {
	logger.Disable()
	ctx := context.Background()

	// The agency: a DID document with its JOSE and ZK keys, a revocation
	// tree and its signed root. (Real agencies use did:web, registry.Registry
	// and keys from a ceremony.)
	const agency = "did:web:agency.example"
	_, joseKey, _ := ed25519.GenerateKey(rand.Reader)
	zkKey, _ := credential.GenerateZKKey(rand.Reader)
	doc := &did.Document{ID: agency}
	for id, pub := range map[string]any{"#jose-1": joseKey.Public(), "#zk-1": zkKey.Public()} {
		vm, _ := did.NewMultikeyMethod(agency+id, agency, pub)
		if err := doc.AddVerificationMethod(vm, did.AssertionMethod); err != nil {
			log.Fatal(err)
		}
	}
	resolver, _ := did.NewStaticResolver(doc)
	shape := zkp.Shape{Slots: 8, Predicates: 2, SetPredicates: 1, SetDepth: 2, RevocationDepth: 4, Nullifier: true}
	revoked, _ := status.NewTree(shape.RevocationDepth, status.RevocationMax())
	roots := verifier.RootSourceFunc(func(ctx context.Context, issuer string) (string, error) {
		return status.SignRoot(&status.RootClaims{Issuer: agency, Root: revoked.Root(), Depth: revoked.Depth(), IssuedAt: time.Now()}, joseKey, agency+"#jose-1")
	})

	// The citizen: a secret, of which the agency only sees the commitment.
	schema, err := credential.PersonSchema().WithSlots(shape.Slots)
	if err != nil {
		log.Fatal(err)
	}
	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	issuer := &credential.Issuer{DID: agency, JOSEKey: joseKey, JOSEKeyID: agency + "#jose-1", ZKKey: zkKey, ZKKeyID: agency + "#zk-1"}
	stored, err := issuer.Issue(credential.IssueRequest{
		Schema: schema,
		Values: map[string]any{"birthDate": "1990-05-17", "district": "07", "nationality": "EE", "vehicleCategory": "B",
			"vehicleRegistered": false, "voterEligible": true, "residentSince": "2015-03-01"},
		HolderCommitment: secret.Commitment(),
		ValidUntil:       time.Now().AddDate(5, 0, 0),
		RevocationID:     42,
	})
	if err != nil {
		log.Fatal(err)
	}
	wallet := &protocol.Holding{Credential: stored, Secret: secret, IssuerKey: zkKey.Public(), Revocation: revoked}

	// The ballot box. Keys from zkp.UnsafeSetup are for development only.
	keys, err := zkp.UnsafeSetup(shape, zkp.Groth16)
	if err != nil {
		log.Fatal(err)
	}
	dir, _ := os.MkdirTemp("", "zkcred-example-")
	defer os.RemoveAll(dir)
	store, err := verifier.OpenBolt(filepath.Join(dir, "ballots.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	const ballotBox = "https://vote.example"
	v, err := verifier.New(verifier.Config{
		Store: store, Audience: ballotBox, Resolver: resolver, Roots: roots,
		Key: keys.VerifyingKey, Schemas: []*credential.Schema{schema},
	})
	if err != nil {
		log.Fatal(err)
	}
	eighteen := 18
	policy := protocol.Policy{
		Issuers: []string{agency},
		Schema:  protocol.SchemaRef{Name: schema.Name, Version: schema.Version},
		Predicates: []protocol.Predicate{
			{Attribute: "district", Op: protocol.OpIn, Values: []protocol.Value{protocol.StringValue("07"), protocol.StringValue("08")}},
			{Attribute: "birthDate", Op: protocol.OpAgeAtLeast, Years: &eighteen},
		},
		Scope:      "municipal-election-2027",
		MaxRootAge: 3600,
	}

	for ballot := 1; ballot <= 2; ballot++ {
		req, err := v.NewRequest(ctx, policy) // sent to the wallet
		if err != nil {
			log.Fatal(err)
		}
		submission, err := wallet.Answer(keys, req, ballotBox) // proven on the citizen's device
		if err != nil {
			log.Fatal(err)
		}
		res, err := v.Verify(ctx, req, submission)
		switch {
		case errors.Is(err, verifier.ErrDuplicateNullifier):
			fmt.Printf("ballot %d: refused, already voted in %s\n", ballot, policy.Scope)
		case err != nil:
			fmt.Printf("ballot %d: refused: %v\n", ballot, err)
		default:
			fmt.Printf("ballot %d: accepted from %s, %d predicates proven, disclosed %d attributes\n", ballot, res.Issuer, len(res.Predicates), len(res.Disclosed))
		}
	}
	// Output:
	// ballot 1: accepted from did:web:agency.example, 2 predicates proven, disclosed 0 attributes
	// ballot 2: refused, already voted in municipal-election-2027
}
