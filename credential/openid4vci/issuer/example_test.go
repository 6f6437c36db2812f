package issuer_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/credential/openid4vci/issuer"
	"github.com/zkcred/zkcred/credential/status/registry"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
)

// Example runs the Pre-Authorized Code flow end to end: the agency offers
// the credential of a register record, the wallet redeems the offer with
// the PIN and gets a verified credential bound to its holder secret.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "oid4vci-example")
	defer os.RemoveAll(dir)

	// The agency: its keys, DID document, revocation registry and register.
	const id = "did:example:agency"
	jose := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	zk, _ := credential.NewZKPrivateKey(bytes.Repeat([]byte{2}, 32))
	doc := &did.Document{ID: id}
	for kid, pub := range map[string]any{id + "#jose-1": jose.Public(), id + "#zk-1": zk.Public()} {
		vm, _ := did.NewMultikeyMethod(kid, id, pub)
		_ = doc.AddVerificationMethod(vm, did.AssertionMethod)
	}
	resolver, _ := did.NewStaticResolver(doc)
	store, _ := registry.OpenBoltStore(filepath.Join(dir, "registry.db"))
	defer store.Close()
	revocation, _ := registry.Open(store, registry.Config{Depth: 8, Issuer: id, KeyID: id + "#jose-1", Signer: jose})
	register, _ := issuer.NewMemoryRegister(issuer.Record{ID: "citizen-1", Values: map[string]any{
		"birthDate": "1990-05-17", "district": "07", "nationality": "DE", "vehicleCategory": "B",
		"vehicleRegistered": true, "voterEligible": true, "residentSince": "2015-06-01",
	}})

	srv := httptest.NewUnstartedServer(nil)
	agency, err := issuer.New(issuer.Config{
		CredentialIssuer: "https://" + srv.Listener.Addr().String(),
		Issuer:           &credential.Issuer{DID: id, JOSEKey: jose, JOSEKeyID: id + "#jose-1", ZKKey: zk, ZKKeyID: id + "#zk-1"},
		Schema:           credential.PersonSchema(),
		Register:         register,
		Rules:            issuer.Rules{PastDates: []string{"birthDate"}, Allowed: map[string][]string{"district": {"07"}}},
		Registry:         revocation,
		StorePath:        filepath.Join(dir, "issuer.db"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer agency.Close()
	srv.Config.Handler = agency.Handler()
	srv.StartTLS()
	defer srv.Close()

	// The back office makes an offer: the URI goes in a QR code, the PIN
	// by letter.
	offer, _ := agency.CreateOffer(ctx, "citizen-1")

	// The wallet (here trusting the test server's certificate on loopback).
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	client, _ := fetch.New(&fetch.Config{TLSConfig: &tls.Config{RootCAs: roots}, InsecureAllowPrivateAddresses: true})
	wallet, _ := openid4vci.NewWallet(openid4vci.WalletConfig{Fetch: client, Resolver: resolver})
	secret, _ := credential.GenerateHolderSecret(rand.Reader)

	o, _ := wallet.Offer(ctx, offer.URI)
	s, _ := wallet.Start(ctx, o)
	if err := wallet.Redeem(ctx, s, offer.TxCode); err != nil {
		fmt.Println(err)
		return
	}
	st, err := wallet.RequestCredential(ctx, s, secret)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Values["birthDate"], st.Values["district"], st.CheckHolder(secret) == nil)
	// Output: 1990-05-17 07 true
}
