package did_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"

	"github.com/zkcred/zkcred/did"
)

func ExampleParseURL() {
	u, err := did.ParseURL("did:web:example.com%3A3000:user:alice?versionId=2#key-1")
	if err != nil {
		panic(err)
	}
	fmt.Println(u.Method, u.ID, u.Query, u.Fragment)
	// Output: web example.com%3A3000:user:alice versionId=2 key-1
}

func ExampleKeyDID() {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public() // the did:key test vector seed
	id, err := did.KeyDID(pub)
	if err != nil {
		panic(err)
	}
	fmt.Println(id)
	// Output: did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp
}

// A verifier looks up the key that signed a credential: it must be in the
// issuer's assertionMethod.
func ExampleResolveVerificationMethod() {
	r, err := did.NewResolver(nil)
	if err != nil {
		panic(err)
	}
	kid := "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
	vm, _, err := did.ResolveVerificationMethod(context.Background(), r, kid, did.AssertionMethod)
	if err != nil {
		panic(err)
	}
	pub, err := vm.PublicKey()
	if err != nil {
		panic(err)
	}
	fmt.Println(vm.Type, hex.EncodeToString(pub.(ed25519.PublicKey)))
	// Output: Multikey 3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29
}

// An issuer publishes its did:web document: the DID, the path to serve it
// at, and a document with its JOSE key and its ZK key.
func ExampleWebDID() {
	id, err := did.WebDID("agency.example", "issuers", "id-cards")
	if err != nil {
		panic(err)
	}
	path, _ := did.WebDocumentPath(id)
	url, _ := did.WebDocumentURL(id)
	fmt.Println(id)
	fmt.Println(path)
	fmt.Println(url)

	doc := &did.Document{Context: []any{did.ContextDIDv1, did.ContextMultikey}, ID: id}
	jose, _ := did.NewJWKMethod(id+"#jose", id, ed25519.NewKeyFromSeed(make([]byte, 32)).Public())
	doc.AddVerificationMethod(jose, did.AssertionMethod, did.Authentication)
	handler, err := did.DocumentHandler(doc) // mux.Handle("GET "+path, handler)
	fmt.Println(handler != nil, err)
	// Output:
	// did:web:agency.example:issuers:id-cards
	// /issuers/id-cards/did.json
	// https://agency.example/issuers/id-cards/did.json
	// true <nil>
}

func ExampleJWKDID() {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public()
	id, _ := did.JWKDID(pub, "sig")
	doc, _ := (&did.JWKResolver{}).Document(id)
	fmt.Println(doc.VerificationMethod[0].ID == id+"#0", len(doc.KeyAgreement), len(doc.AssertionMethod))
	// Output: true 0 1
}
