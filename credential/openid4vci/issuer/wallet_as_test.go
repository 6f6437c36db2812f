package issuer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/did/fetch"
)

// A forged offer names the real credential issuer (whose metadata and
// display the wallet shows) and the victim's pre-authorized code, but an
// authorization_server of the attacker's that the issuer's metadata does
// not list. OpenID4VCI 1.0 §4.1.1: it "MUST match with one of the values
// in the authorization_servers array obtained from the Credential Issuer
// metadata" (none listed: the credential issuer itself). The wallet must
// refuse it before sending the code and the PIN to the attacker.
func TestWalletRefusesForeignAuthorizationServer(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	var stolen atomic.Value
	evil := httptest.NewUnstartedServer(nil)
	evilURL := "https://" + evil.Listener.Addr().String()
	asIssuer := evilURL
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+openid4vci.PathASMetadata, func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": asIssuer, "token_endpoint": evilURL + "/token"})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		stolen.Store(r.PostForm.Encode())
		json.NewEncoder(w).Encode(map[string]any{"access_token": "x", "token_type": "Bearer"})
	})
	evil.Config.Handler = mux
	evil.StartTLS()
	defer evil.Close()
	roots := x509.NewCertPool()
	roots.AddCert(e.srv.Certificate())
	roots.AddCert(evil.Certificate())
	fc, _ := fetch.New(&fetch.Config{TLSConfig: &tls.Config{RootCAs: roots}, InsecureAllowPrivateAddresses: true})
	w, _ := openid4vci.NewWallet(openid4vci.WalletConfig{Fetch: fc, Resolver: e.resolver})

	victim, err := e.is.CreateOffer(ctx, "citizen-1") // the attacker saw the QR code, not the PIN
	if err != nil {
		t.Fatal(err)
	}
	for name, as := range map[string]string{
		"foreign":                       evilURL,
		"foreign, AS metadata mismatch": evilURL, // asIssuer changed below
		"issuer with a trailing slash":  e.url + "/",
	} {
		t.Run(name, func(t *testing.T) {
			if name == "foreign, AS metadata mismatch" {
				asIssuer = e.url
				defer func() { asIssuer = evilURL }()
			}
			forged := victim.Offer
			g := *forged.Grants.PreAuthorizedCode
			g.AuthorizationServer = as
			forged.Grants.PreAuthorizedCode = &g
			b, _ := json.Marshal(forged)
			offer, err := w.Offer(ctx, string(b))
			if err != nil {
				t.Fatal(err)
			}
			s, err := w.Start(ctx, offer)
			if !errors.Is(err, openid4vci.ErrInvalidOffer) {
				t.Fatalf("Start accepted authorization_server %s: %v", as, err)
			}
			if s != nil {
				_ = w.Redeem(ctx, s, victim.TxCode)
			}
			if v := stolen.Load(); v != nil {
				t.Errorf("wallet sent the code and PIN to %s: %v", as, v)
			}
		})
	}
	// The issuer itself, named explicitly, is its own authorization server.
	ok := victim.Offer
	g := *ok.Grants.PreAuthorizedCode
	g.AuthorizationServer = e.url
	ok.Grants.PreAuthorizedCode = &g
	b, _ := json.Marshal(ok)
	offer, err := w.Offer(ctx, string(b))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Start(ctx, offer); err != nil {
		t.Fatalf("authorization_server = credential issuer refused: %v", err)
	}
}
