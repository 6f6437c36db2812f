package zkp_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/zkp"
)

// Example shows the whole zero-knowledge path on a tiny shape: an issuer
// signs a credential with its ZK key, the holder proves "born on or before
// the cutoff" without revealing the birthdate, and the verifier checks the
// proof against public inputs it computes itself.
func Example() {
	logger.Disable()
	shape := zkp.Shape{Slots: 2, Predicates: 1, RevocationDepth: 4}
	keys, err := zkp.UnsafeSetup(shape, zkp.Groth16) // development only: use a ceremony in production
	if err != nil {
		log.Fatal(err)
	}

	// Issuer: schema, ZK key, revocation tree.
	schema, _ := credential.NewSchema("example/age", 1, 2, credential.Attribute{Name: "birthDate", Type: credential.TypeDate})
	zkKey, _ := credential.GenerateZKKey(rand.Reader)
	revoked, _ := status.NewTree(shape.RevocationDepth, status.RevocationMax())

	// Holder: a secret, of which the issuer only sees the commitment.
	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	slots, err := schema.Encode(map[string]any{"birthDate": "1990-05-17"})
	if err != nil {
		log.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	cred := zkp.Credential{SchemaID: schema.ID(), Slots: slots, RevocationID: 42, Expiry: uint64(now.AddDate(5, 0, 0).Unix())}
	sig, _ := zkKey.Sign(zkhash.Message(cred.SchemaID, secret.Commitment(), cred.RevocationID, cred.Expiry, cred.Slots))
	cred.Signature = sig

	// Verifier: the statement is public and computed by the verifier.
	issuer := zkKey.Public() // what did.ResolveZKKey returns from the issuer's DID document
	cutoff, _ := credential.EncodeDate(now.AddDate(-18, 0, 0))
	var cut fr.Element
	cut.SetUint64(cutoff)
	st := zkp.Statement{
		Issuer:         issuer,
		SchemaID:       schema.ID(),
		Now:            uint64(now.Unix()),
		RevocationRoot: revoked.Root(),
		RequestHash:    zkhash.Bytes(zkhash.TagRequest, []byte("nonce-1")),
		Predicates:     []zkp.Predicate{{Slot: 0, Op: zkp.OpLe, A: cut}},
	}

	// Holder: prove.
	nonRevoked, _ := revoked.NonMembership(fr.NewElement(cred.RevocationID))
	w := zkp.Witness{Credential: cred, Secret: secret.Element(), Revocation: nonRevoked}
	pres, err := zkp.Prove(keys, &st, &w)
	if err != nil {
		log.Fatal(err)
	}
	wire, _ := pres.Encode()

	// Verifier: decode strictly and verify.
	p, err := zkp.DecodePresentation(wire)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("over 18:", zkp.Verify(keys.VerifyingKey, &st, p) == nil)

	// The same proof does not verify for another request.
	other := st
	other.RequestHash = zkhash.Bytes(zkhash.TagRequest, []byte("nonce-2"))
	fmt.Println("replayed:", errors.Is(zkp.Verify(keys.VerifyingKey, &other, p), zkp.ErrInvalidProof))

	// A holder asked to prove a false statement gets ErrUnsatisfied before any proving work.
	st.Predicates[0].A.SetUint64(cutoff - 20000)
	_, err = zkp.Prove(keys, &st, &w)
	fmt.Println("unsatisfied:", errors.Is(err, zkp.ErrUnsatisfied))
	// Output:
	// over 18: true
	// replayed: true
	// unsatisfied: true
}
