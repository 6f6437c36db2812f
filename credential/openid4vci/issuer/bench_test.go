package issuer

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

// BenchmarkIssuance measures the issuer's whole issuance per credential,
// without HTTP: CreateOffer (register read and validation), the token
// request, a c_nonce, and the credential request (proof verification,
// register validation, revocation id and status index, both signatures,
// the durable records: six bbolt transactions with fsync). Sequential, one
// issuer. Reports credentials/s.
func BenchmarkIssuance(b *testing.B) {
	b.Run("register=memory", func(b *testing.B) { benchIssuance(b, nil) })
	b.Run("register=postgres", func(b *testing.B) { benchIssuance(b, openPGRegister(b)) })
}

func benchIssuance(b *testing.B, pg *PostgresRegister) {
	var reg Register
	if pg != nil {
		for i := range 3 {
			if err := pg.Put(context.Background(), citizen(fmt.Sprintf("citizen-%d", i+1))); err != nil {
				b.Fatal(err)
			}
		}
		reg = pg
	}
	e := newEnv(b, reg, nil)
	ctx := context.Background()
	secret := newSecret(b)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		o, err := e.is.CreateOffer(ctx, "citizen-1")
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := e.is.redeem(o.Offer.Grants.PreAuthorizedCode.Code, o.TxCode, true); err != nil {
			b.Fatal(err)
		}
		n, err := e.is.nonce()
		if err != nil {
			b.Fatal(err)
		}
		p, err := openid4vci.NewProof(key, e.url, n, secret.Commitment(), e.clock.now())
		if err != nil {
			b.Fatal(err)
		}
		req := &openid4vci.CredentialRequest{ConfigurationID: DefaultConfigurationID, Proofs: &openid4vci.Proofs{JWT: []string{p}}}
		if _, err := e.is.issue(ctx, o.ID, req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "credentials/s")
}
