package issuer

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

type randReader struct{}

func (randReader) Read(b []byte) (int, error) { return rand.Read(b) }

// TestEndToEnd runs offer → token → nonce → credential → the wallet
// verifies, over loopback TLS, then the idempotent retry.
func TestEndToEnd(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	o, s := e.session(t, "citizen-1")
	if s.Configuration != DefaultConfigurationID {
		t.Fatalf("configuration %q", s.Configuration)
	}
	if err := e.wallet.Redeem(ctx, s, o.TxCode); err != nil {
		t.Fatal(err)
	}
	secret := newSecret(t)
	st, err := e.wallet.RequestCredential(ctx, s, secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CheckHolder(secret); err != nil {
		t.Fatal(err)
	}
	if st.Values["district"] != "07" || st.Values["birthDate"] != "1990-05-17" {
		t.Fatalf("values %v", st.Values)
	}
	rec, err := e.is.Issued(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.RevocationID != st.RevocationID || rec.RecordID != "citizen-1" || rec.StatusIndex == "" {
		t.Fatalf("issuance record %+v", rec)
	}
	ok, err := e.is.cfg.Registry.Issued(st.RevocationID)
	if err != nil || !ok {
		t.Fatalf("revocation id not recorded by the registry: %v %v", ok, err)
	}
	// The stored form round-trips, and verifies again from its bytes.
	b, err := st.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	st2, err := credential.ParseStored(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st2.Verify(ctx, e.resolver, credential.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	// A second request on the same offer with a new proof is refused.
	if _, err := e.wallet.RequestCredential(ctx, s, secret); !errors.Is(err, openid4vci.ErrRequestDenied) {
		t.Fatalf("second credential for one offer: %v", err)
	}
}

// TestIdempotentRetry: the same proof JWT twice gives the same credential;
// the same proof on another offer is refused.
func TestIdempotentRetry(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	o, s := e.session(t, "citizen-1")
	if err := e.wallet.Redeem(ctx, s, o.TxCode); err != nil {
		t.Fatal(err)
	}
	secret := newSecret(t)
	proof := e.proof(t, s, secret, e.clock.now())
	st1, err := e.wallet.RequestCredentialWithProof(ctx, s, proof, secret)
	if err != nil {
		t.Fatal(err)
	}
	st2, err := e.wallet.RequestCredentialWithProof(ctx, s, proof, secret)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if st1.JWT != st2.JWT || st1.RevocationID != st2.RevocationID {
		t.Fatal("retry returned another credential")
	}
	o2, s2 := e.session(t, "citizen-2")
	if err := e.wallet.Redeem(ctx, s2, o2.TxCode); err != nil {
		t.Fatal(err)
	}
	if _, err := e.wallet.RequestCredentialWithProof(ctx, s2, proof, secret); !errors.Is(err, openid4vci.ErrInvalidProof) {
		t.Fatalf("proof replayed on another offer: %v", err)
	}
}

// proof returns a proof JWT for s with a fresh nonce.
func (e *env) proof(t testing.TB, s *openid4vci.Session, secret *credential.HolderSecret, iat time.Time) string {
	t.Helper()
	n, err := e.wallet.Nonce(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	p, err := openid4vci.NewProof(key, e.url, n, secret.Commitment(), iat)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestToken covers the token endpoint: wrong PIN counted and lock, reused
// code, expired offer, missing PIN.
func TestToken(t *testing.T) {
	e := newEnv(t, nil, func(c *Config) { c.MaxTxCodeAttempts = 3 })
	ctx := context.Background()
	wrong := func(pin string) string {
		if pin == "000000" {
			return "111111"
		}
		return "000000"
	}
	t.Run("wrong PIN then right PIN", func(t *testing.T) {
		o, s := e.session(t, "citizen-1")
		for range 2 {
			if err := e.wallet.Redeem(ctx, s, wrong(o.TxCode)); !errors.Is(err, openid4vci.ErrInvalidGrant) {
				t.Fatalf("wrong PIN: %v", err)
			}
		}
		if err := e.wallet.Redeem(ctx, s, o.TxCode); err != nil {
			t.Fatalf("right PIN after 2 wrong ones: %v", err)
		}
		// Reused code.
		if err := e.wallet.Redeem(ctx, s, o.TxCode); !errors.Is(err, openid4vci.ErrInvalidGrant) {
			t.Fatalf("reused code: %v", err)
		}
		// The offer by reference is gone once redeemed.
		if _, err := e.wallet.Offer(ctx, o.URI); !errors.Is(err, openid4vci.ErrInvalidOffer) {
			t.Fatalf("offer by reference after redemption: %v", err)
		}
	})
	t.Run("locked after 3 wrong PINs", func(t *testing.T) {
		o, s := e.session(t, "citizen-1")
		for range 3 {
			if err := e.wallet.Redeem(ctx, s, wrong(o.TxCode)); !errors.Is(err, openid4vci.ErrInvalidGrant) {
				t.Fatalf("wrong PIN: %v", err)
			}
		}
		if err := e.wallet.Redeem(ctx, s, o.TxCode); !errors.Is(err, openid4vci.ErrInvalidGrant) {
			t.Fatalf("right PIN on a locked offer: %v", err)
		}
		// On the Go side the lock is its own sentinel.
		if _, _, err := e.is.redeem(o.Offer.Grants.PreAuthorizedCode.Code, o.TxCode, true); !errors.Is(err, openid4vci.ErrOfferLocked) {
			t.Fatalf("locked: %v", err)
		}
	})
	t.Run("expired offer", func(t *testing.T) {
		o, s := e.session(t, "citizen-1")
		e.clock.advance(DefaultOfferTTL + time.Second)
		defer e.clock.advance(-DefaultOfferTTL - time.Second)
		err := e.wallet.Redeem(ctx, s, o.TxCode)
		if !errors.Is(err, openid4vci.ErrInvalidGrant) || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("expired offer: %v", err)
		}
		if _, _, err := e.is.redeem(o.Offer.Grants.PreAuthorizedCode.Code, o.TxCode, true); !errors.Is(err, openid4vci.ErrExpired) {
			t.Fatalf("expired: %v", err)
		}
	})
	t.Run("missing PIN", func(t *testing.T) {
		o, _ := e.session(t, "citizen-1")
		form := url.Values{"grant_type": {openid4vci.GrantPreAuthorizedCode}, "pre-authorized_code": {o.Offer.Grants.PreAuthorizedCode.Code}}
		resp, err := e.fetch.Post(ctx, e.url+openid4vci.PathToken, "application/x-www-form-urlencoded", []byte(form.Encode()), "")
		if err != nil {
			t.Fatal(err)
		}
		if err := decodeAnswer(resp); !errors.Is(err, openid4vci.ErrInvalidRequest) {
			t.Fatalf("missing PIN: %v", err)
		}
	})
	t.Run("unknown code and grant type", func(t *testing.T) {
		for body, want := range map[string]error{
			"grant_type=" + url.QueryEscape(openid4vci.GrantPreAuthorizedCode) + "&pre-authorized_code=nope&tx_code=123456": openid4vci.ErrInvalidGrant,
			"grant_type=authorization_code&code=x": openid4vci.ErrUnsupportedGrantType,
			"grant_type=" + url.QueryEscape(openid4vci.GrantPreAuthorizedCode) + "&pre-authorized_code=a&pre-authorized_code=b": openid4vci.ErrInvalidRequest,
		} {
			resp, err := e.fetch.Post(ctx, e.url+openid4vci.PathToken, "application/x-www-form-urlencoded", []byte(body), "")
			if err != nil {
				t.Fatal(err)
			}
			if err := decodeAnswer(resp); !errors.Is(err, want) {
				t.Errorf("%s: %v, want %v", body, err, want)
			}
		}
	})
}

// TestCredentialRefusals covers the credential endpoint's refusals.
func TestCredentialRefusals(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	redeemed := func(t *testing.T) *openid4vci.Session {
		o, s := e.session(t, "citizen-1")
		if err := e.wallet.Redeem(ctx, s, o.TxCode); err != nil {
			t.Fatal(err)
		}
		return s
	}
	secret := newSecret(t)
	t.Run("replayed nonce", func(t *testing.T) {
		s1, s2 := redeemed(t), redeemed(t)
		n, err := e.wallet.Nonce(ctx, s1)
		if err != nil {
			t.Fatal(err)
		}
		_, key, _ := ed25519.GenerateKey(rand.Reader)
		p1, _ := openid4vci.NewProof(key, e.url, n, secret.Commitment(), e.clock.now())
		if _, err := e.wallet.RequestCredentialWithProof(ctx, s1, p1, secret); err != nil {
			t.Fatal(err)
		}
		p2, _ := openid4vci.NewProof(key, e.url, n, secret.Commitment(), e.clock.now().Add(time.Second))
		if _, err := e.wallet.RequestCredentialWithProof(ctx, s2, p2, secret); !errors.Is(err, openid4vci.ErrInvalidNonce) {
			t.Fatalf("replayed nonce: %v", err)
		}
	})
	t.Run("expired nonce", func(t *testing.T) {
		n, err := e.wallet.Nonce(ctx, redeemed(t))
		if err != nil {
			t.Fatal(err)
		}
		e.clock.advance(DefaultNonceTTL + time.Second)
		defer e.clock.advance(-DefaultNonceTTL - time.Second)
		s := redeemed(t) // a fresh access token
		_, key, _ := ed25519.GenerateKey(rand.Reader)
		p, _ := openid4vci.NewProof(key, e.url, n, secret.Commitment(), e.clock.now())
		_, err = e.wallet.RequestCredentialWithProof(ctx, s, p, secret)
		if !errors.Is(err, openid4vci.ErrInvalidNonce) || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("expired nonce: %v", err)
		}
	})
	t.Run("forged nonce", func(t *testing.T) {
		s := redeemed(t)
		_, key, _ := ed25519.GenerateKey(rand.Reader)
		p, _ := openid4vci.NewProof(key, e.url, b64.EncodeToString(make([]byte, nonceSize)), secret.Commitment(), e.clock.now())
		if _, err := e.wallet.RequestCredentialWithProof(ctx, s, p, secret); !errors.Is(err, openid4vci.ErrInvalidNonce) {
			t.Fatalf("forged nonce: %v", err)
		}
	})
	t.Run("another audience", func(t *testing.T) {
		s := redeemed(t)
		n, _ := e.wallet.Nonce(ctx, s)
		_, key, _ := ed25519.GenerateKey(rand.Reader)
		p, _ := openid4vci.NewProof(key, "https://other.example", n, secret.Commitment(), e.clock.now())
		if _, err := e.wallet.RequestCredentialWithProof(ctx, s, p, secret); !errors.Is(err, openid4vci.ErrInvalidProof) {
			t.Fatalf("aud: %v", err)
		}
	})
	t.Run("stale and future iat", func(t *testing.T) {
		s := redeemed(t)
		for _, iat := range []time.Time{e.clock.now().Add(-time.Hour), e.clock.now().Add(time.Hour)} {
			p := e.proof(t, s, secret, iat)
			if _, err := e.wallet.RequestCredentialWithProof(ctx, s, p, secret); !errors.Is(err, openid4vci.ErrInvalidProof) {
				t.Fatalf("iat %v: %v", iat, err)
			}
		}
	})
	t.Run("commitment swapped after signing", func(t *testing.T) {
		s := redeemed(t)
		p := e.proof(t, s, secret, e.clock.now())
		other := newSecret(t).Commitment()
		parts := strings.Split(p, ".")
		pl, _ := b64.DecodeString(parts[1])
		var m map[string]any
		json.Unmarshal(pl, &m)
		ob := other.Bytes()
		m[openid4vci.CommitmentClaim] = b64.EncodeToString(ob[:])
		nb, _ := json.Marshal(m)
		forged := parts[0] + "." + b64.EncodeToString(nb) + "." + parts[2]
		if _, err := e.wallet.RequestCredentialWithProof(ctx, s, forged, secret); !errors.Is(err, openid4vci.ErrInvalidProof) {
			t.Fatalf("swapped commitment: %v", err)
		}
	})
	t.Run("credential for another commitment", func(t *testing.T) {
		// The issuer binds to the proof's commitment; a wallet whose secret
		// is not behind it refuses the credential.
		s := redeemed(t)
		p := e.proof(t, s, secret, e.clock.now())
		if _, err := e.wallet.RequestCredentialWithProof(ctx, s, p, newSecret(t)); !errors.Is(err, openid4vci.ErrInvalidCredential) {
			t.Fatalf("credential of another commitment accepted: %v", err)
		}
	})
	t.Run("no or bad access token", func(t *testing.T) {
		body := `{"credential_configuration_id":"zkcred_person","proofs":{"jwt":["a.b.c"]}}`
		resp, err := e.fetch.PostAuthorized(ctx, e.url+openid4vci.PathCredential, "application/json", []byte(body), "application/json", "Bearer bm9wZQ")
		if err != nil {
			t.Fatal(err)
		}
		if err := decodeAnswer(resp); !errors.Is(err, openid4vci.ErrInvalidToken) {
			t.Fatalf("bad token: %v", err)
		}
	})
	t.Run("expired access token", func(t *testing.T) {
		s := redeemed(t)
		e.clock.advance(DefaultAccessTokenTTL + time.Second)
		defer e.clock.advance(-DefaultAccessTokenTTL - time.Second)
		if _, err := e.wallet.RequestCredential(ctx, s, secret); !errors.Is(err, openid4vci.ErrInvalidToken) {
			t.Fatalf("expired token: %v", err)
		}
	})
	t.Run("unknown configuration", func(t *testing.T) {
		s := redeemed(t)
		s.Configuration = "other"
		if _, err := e.wallet.RequestCredential(ctx, s, secret); !errors.Is(err, openid4vci.ErrUnknownConfiguration) {
			t.Fatalf("unknown configuration: %v", err)
		}
	})
}

// TestRegisterValidation: a record the schema or the rules refuse is never
// offered nor issued, and a record that turns invalid between offer and
// request is refused with nothing signed.
func TestRegisterValidation(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	future := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
	cases := []struct {
		name string
		set  map[string]any
		want error
	}{
		// Rules of the register.
		{"future birthdate", map[string]any{"birthDate": future}, openid4vci.ErrInvalidRecord},
		{"unknown district", map[string]any{"district": "99"}, openid4vci.ErrInvalidRecord},
		// Types of the schema.
		{"birthdate not a date", map[string]any{"birthDate": "17/05/1990"}, credential.ErrSchemaMismatch},
		{"birthdate before 1800", map[string]any{"birthDate": "1799-12-31"}, credential.ErrSchemaMismatch},
		{"bool as string", map[string]any{"voterEligible": "yes"}, credential.ErrSchemaMismatch},
		{"unknown attribute", map[string]any{"shoeSize": 42}, credential.ErrSchemaMismatch},
		{"missing attribute", map[string]any{"nationality": nil}, credential.ErrSchemaMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := citizen("bad-" + c.name)
			for k, v := range c.set {
				if v == nil {
					delete(r.Values, k)
				} else {
					r.Values[k] = v
				}
			}
			if err := e.register.Put(r); err != nil {
				t.Fatal(err)
			}
			if _, err := e.is.CreateOffer(ctx, r.ID); !errors.Is(err, c.want) || !errors.Is(err, openid4vci.ErrInvalidRecord) {
				t.Fatalf("CreateOffer: %v, want %v", err, c.want)
			}
		})
	}
	t.Run("unknown record", func(t *testing.T) {
		if _, err := e.is.CreateOffer(ctx, "nobody"); !errors.Is(err, openid4vci.ErrUnknownRecord) {
			t.Fatal(err)
		}
	})
	t.Run("record changed after the offer", func(t *testing.T) {
		r := citizen("changes")
		e.register.Put(r)
		o, s := e.session(t, r.ID)
		if err := e.wallet.Redeem(ctx, s, o.TxCode); err != nil {
			t.Fatal(err)
		}
		r.Values["district"] = "99"
		e.register.Put(r)
		if _, err := e.wallet.RequestCredential(ctx, s, newSecret(t)); !errors.Is(err, openid4vci.ErrRequestDenied) {
			t.Fatalf("invalid record issued: %v", err)
		}
		if _, err := e.is.Issued(o.ID); !errors.Is(err, openid4vci.ErrUnknownRecord) {
			t.Fatalf("an issuance was recorded: %v", err)
		}
		// Fixed in the register: the same offer now issues.
		r.Values["district"] = "12"
		e.register.Put(r)
		if _, err := e.wallet.RequestCredential(ctx, s, newSecret(t)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestConcurrentRequestsIssueOnce: parallel credential requests with
// different proofs on one offer issue exactly one credential.
func TestConcurrentRequestsIssueOnce(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	o, s := e.session(t, "citizen-1")
	if err := e.wallet.Redeem(ctx, s, o.TxCode); err != nil {
		t.Fatal(err)
	}
	const n = 8
	secret := newSecret(t)
	proofs := make([]string, n)
	for i := range proofs {
		proofs[i] = e.proof(t, s, secret, e.clock.now())
	}
	errs := make(chan error, n)
	for _, p := range proofs {
		go func() {
			_, err := e.wallet.RequestCredentialWithProof(ctx, s, p, secret)
			errs <- err
		}()
	}
	ok := 0
	for range n {
		if err := <-errs; err == nil {
			ok++
		} else if !errors.Is(err, openid4vci.ErrRequestDenied) {
			t.Errorf("unexpected refusal: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d credentials issued for one offer", ok)
	}
}
