package zkp_test

import (
	"crypto/rand"
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

// ExampleKeys_WithSplit splits a proof between two threads, as the
// browser wallet splits it between two Web Workers (examples/wallet): the
// helper holds only the helper key, gets one request per proof and sends
// back one answer. Here the helper is a goroutine and the messages are
// channels; in the browser they are postMessage calls between workers.
func ExampleKeys_WithSplit() {
	logger.Disable()
	keys, st, w := exampleProof()

	// The helper's side: it loads the helper key once per key load...
	hk, err := keys.SplitHelperKey()
	if err != nil {
		log.Fatal(err)
	}
	helper, err := zkp.ParseSplitHelper(hk)
	if err != nil {
		log.Fatal(err)
	}
	// ...and answers each request.
	start := func(req []byte) func() ([]byte, error) {
		type answer struct {
			b   []byte
			err error
		}
		ch := make(chan answer, 1)
		go func() { b, err := helper.Answer(req); ch <- answer{b, err} }()
		return func() ([]byte, error) { a := <-ch; return a.b, a.err }
	}

	// The prover's side: Prove sends the request first, does its own
	// half, then waits for the answer; a helper that fails costs time,
	// never the proof.
	pres, err := zkp.Prove(keys.WithSplit(start), st, w)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verifies:", zkp.Verify(keys.VerifyingKey, st, pres) == nil)
	// Output: verifies: true
}

// exampleProof sets up keys, a statement and a witness for a tiny shape,
// as Example does step by step.
func exampleProof() (*zkp.Keys, *zkp.Statement, *zkp.Witness) {
	shape := zkp.Shape{Slots: 2, Predicates: 1, RevocationDepth: 4}
	keys, err := zkp.UnsafeSetup(shape, zkp.Groth16) // development only: use a ceremony in production
	if err != nil {
		log.Fatal(err)
	}
	schema, _ := credential.NewSchema("example/age", 1, 2, credential.Attribute{Name: "birthDate", Type: credential.TypeDate})
	zkKey, _ := credential.GenerateZKKey(rand.Reader)
	revoked, _ := status.NewTree(shape.RevocationDepth, status.RevocationMax())
	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	slots, err := schema.Encode(map[string]any{"birthDate": "1990-05-17"})
	if err != nil {
		log.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	cred := zkp.Credential{SchemaID: schema.ID(), Slots: slots, RevocationID: 42, Expiry: uint64(now.AddDate(5, 0, 0).Unix())}
	cred.Signature, _ = zkKey.Sign(zkhash.Message(cred.SchemaID, secret.Commitment(), cred.RevocationID, cred.Expiry, cred.Slots))
	cutoff, _ := credential.EncodeDate(now.AddDate(-18, 0, 0))
	var cut fr.Element
	cut.SetUint64(cutoff)
	st := &zkp.Statement{Issuer: zkKey.Public(), SchemaID: schema.ID(), Now: uint64(now.Unix()), RevocationRoot: revoked.Root(),
		RequestHash: zkhash.Bytes(zkhash.TagRequest, []byte("nonce-1")), Predicates: []zkp.Predicate{{Slot: 0, Op: zkp.OpLe, A: cut}}}
	nonRevoked, _ := revoked.NonMembership(fr.NewElement(cred.RevocationID))
	return keys, st, &zkp.Witness{Credential: cred, Secret: secret.Element(), Revocation: nonRevoked}
}
