package verifier

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// TestOpenID4VPErrorResponseClosedRequest: an error response naming a
// request that was already answered, or that expired, is refused and
// reported to nobody. Whoever saw the QR code can post access_denied: once
// the holder's answer was accepted, that must not reach Config.OnResponse
// (a clerk's page would say the person declined) nor change the result.
func TestOpenID4VPErrorResponseClosedRequest(t *testing.T) {
	o := newOIDEnv(t)
	ctx := t.Context()
	var mu sync.Mutex
	var reported []error
	cfg := o.v.cfg
	cfg.OnResponse = func(_ context.Context, _ string, _ *ResponseResult, err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}
	v, err := New(cfg) // the same store as o.v, which the wallet answers
	if err != nil {
		t.Fatal(err)
	}
	h := v.Handler()
	post := func(id string) (int, string) {
		r := httptest.NewRequest("POST", OpenID4VPResponsePath, strings.NewReader("error=access_denied&state="+url.QueryEscape(id)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}

	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	alice := o.held(t, secret, aliceData)
	answered, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{
		DCQL: voteQuery(t, o.agency.did), TransactionData: []*openid4vp.TransactionData{ballot("yes")}})
	if err != nil {
		t.Fatal(err)
	}
	var consented bool
	if _, err := openid4vp.Answer(ctx, o.walletConfig(t, []openid4vp.Held{alice}, &consented), answered.URI); err != nil {
		t.Fatal(err)
	}
	if code, body := post(answered.ID); code < 400 || code >= 500 {
		t.Fatalf("error response to an answered request: %d %s, want a 4xx refusal", code, body)
	}
	if st, err := v.AuthorizationResult(ctx, answered.ID); err != nil || st.State == AuthorizationPending {
		t.Fatalf("after an error response the answered request is %+v, %v", st, err)
	}

	expired, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{
		DCQL: voteQuery(t, o.agency.did), TransactionData: []*openid4vp.TransactionData{ballot("yes")}})
	if err != nil {
		t.Fatal(err)
	}
	o.clock.Add(48 * time.Hour)
	if code, body := post(expired.ID); code < 400 || code >= 500 {
		t.Fatalf("error response to an expired request: %d %s, want a 4xx refusal", code, body)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 0 {
		t.Fatalf("error responses to closed requests were reported: %v", reported)
	}
}
