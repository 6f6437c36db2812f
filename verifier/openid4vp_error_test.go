package verifier

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// TestOpenID4VPErrorResponse: a wallet's error response (OpenID4VP 1.0,
// section 8.5) to a pending request is answered 200 {} and reported to
// OnResponse (access_denied as ErrHolderDeclined, other codes as
// ErrWalletError); the request stays answerable. Malformed ones, and ones
// naming no pending request of this verifier, are refused and reported
// to nobody.
func TestOpenID4VPErrorResponse(t *testing.T) {
	o := newOIDEnv(t)
	ctx := t.Context()
	var mu sync.Mutex
	var reported []error
	cfg := o.v.cfg
	cfg.OnResponse = func(_ context.Context, id string, res *ResponseResult, err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ar, err := v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, o.agency.did),
		TransactionData: []*openid4vp.TransactionData{ballot("yes")}, ResponseMode: openid4vp.ResponseModeDirectPostJWT})
	if err != nil {
		t.Fatal(err)
	}
	h := v.Handler()
	post := func(form string) (int, string) {
		r := httptest.NewRequest("POST", OpenID4VPResponsePath, strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	last := func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(reported) == 0 {
			return nil
		}
		return reported[len(reported)-1]
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(reported) }

	state := url.QueryEscape(ar.ID)
	if code, body := post("error=access_denied&error_description=the+holder+declined&state=" + state); code != http.StatusOK || strings.TrimSpace(body) != "{}" {
		t.Fatalf("access_denied: %d %s", code, body)
	}
	if err := last(); !errors.Is(err, ErrHolderDeclined) {
		t.Fatalf("reported %v, want ErrHolderDeclined", err)
	}
	if s, c := ErrorCode(last()); s != http.StatusForbidden || c != CodeHolderDeclined {
		t.Fatalf("ErrorCode: %d %s", s, c)
	}
	if code, _ := post("error=vp_formats_not_supported&state=" + state); code != http.StatusOK {
		t.Fatalf("vp_formats_not_supported: %d", code)
	}
	if err := last(); !errors.Is(err, ErrWalletError) || !strings.Contains(err.Error(), "vp_formats_not_supported") {
		t.Fatalf("reported %v, want ErrWalletError", err)
	}
	if st, err := v.AuthorizationResult(ctx, ar.ID); err != nil || st.State != AuthorizationPending {
		t.Fatalf("after error responses the request is %+v, %v; want pending", st, err)
	}

	n := count()
	for name, form := range map[string]string{
		"unknown code":        "error=nope&state=" + state,
		"no state":            "error=access_denied",
		"unknown state":       "error=access_denied&state=AAAAAAAAAAAAAAAAAAAAAA",
		"repeated":            "error=access_denied&error=access_denied&state=" + state,
		"with a vp_token":     "error=access_denied&vp_token=%7B%7D&state=" + state,
		"with a response":     "error=access_denied&response=x.y.z&state=" + state,
		"quote in text":       "error=access_denied&error_description=%22&state=" + state,
		"control in text":     "error=access_denied&error_description=a%0Ab&state=" + state,
		"non-ASCII text":      "error=access_denied&error_description=%C3%A9&state=" + state,
		"long text":           "error=access_denied&error_description=" + strings.Repeat("a", maxErrorDescription+1) + "&state=" + state,
		"empty error":         "error=&state=" + state,
		"state too long":      "error=access_denied&state=" + strings.Repeat("A", 400),
		"state of no request": "error=access_denied&state=..%2F",
	} {
		if code, body := post(form); code < 400 || code >= 500 {
			t.Errorf("%s: %d %s, want a 4xx refusal", name, code, body)
		}
	}
	if count() != n {
		t.Fatalf("refused error responses were reported: %v", reported[n:])
	}
}

// TestOpenID4VPDeclineSendsNothing (red-team): a holder who declines
// sends nothing, not even the error response access_denied. Consent is
// asked only when a held credential meets the request and nothing is
// sent when none does, so a decline posted to the verifier told it what
// the holder refused to prove (over 18, resident of the district). The
// request stays answerable and the same wallet can still answer it.
func TestOpenID4VPDeclineSendsNothing(t *testing.T) {
	o := newOIDEnv(t)
	ctx := t.Context()
	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	alice := o.held(t, secret, aliceData)
	ar, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{
		DCQL: voteQuery(t, o.agency.did), TransactionData: []*openid4vp.TransactionData{ballot("yes")}})
	if err != nil {
		t.Fatal(err)
	}
	var consented bool
	cfg := o.walletConfig(t, []openid4vp.Held{alice}, &consented)
	cfg.Consent = func(context.Context, *openid4vp.Description) error { consented = true; return errors.New("no") }
	if _, err := openid4vp.Answer(ctx, cfg, ar.URI); !errors.Is(err, openid4vp.ErrConsentDenied) || !consented {
		t.Fatalf("declined: %v (consent asked: %v)", err, consented)
	}
	o.mu.Lock()
	posted := o.lastPost
	o.mu.Unlock()
	if posted != nil {
		t.Fatalf("the decline posted %q to the verifier", posted)
	}
	if st, err := o.v.AuthorizationResult(ctx, ar.ID); err != nil || st.State != AuthorizationPending {
		t.Fatalf("after the decline: %+v %v", st, err)
	}
	cfg = o.walletConfig(t, []openid4vp.Held{alice}, &consented)
	if _, err := openid4vp.Answer(ctx, cfg, ar.URI); err != nil {
		t.Fatalf("answering after a decline: %v", err)
	}
}

// FuzzOpenID4VPResponseForm posts arbitrary form bodies to the
// response_uri of a verifier with one pending request (state "STATE" in
// the seeds is replaced by its id): no panic, no server error, and a 200
// only for a well-formed error response naming that request (a fuzzer
// cannot forge a proof).
func FuzzOpenID4VPResponseForm(f *testing.F) {
	for _, s := range []string{
		"error=access_denied&state=STATE",
		"error=access_denied&error_description=the+holder+declined&state=STATE",
		"error=invalid_request&error_uri=https%3A%2F%2Fw.example&state=STATE",
		"vp_token=%7B%22pid%22%3A%5B%7B%7D%5D%7D&state=STATE",
		"response=a.b.c.d.e",
		"error=access_denied&state=STATE&state=STATE",
		"error=%ff&state=STATE",
		"",
	} {
		f.Add(s)
	}
	o := newOIDEnv(f)
	ar, err := o.v.NewAuthorizationRequest(f.Context(), AuthorizationRequestOptions{DCQL: voteQuery(f, o.agency.did),
		TransactionData: []*openid4vp.TransactionData{ballot("yes")}, ResponseMode: openid4vp.ResponseModeDirectPost})
	if err != nil {
		f.Fatal(err)
	}
	h, id := o.v.Handler(), ar.ID
	f.Fuzz(func(t *testing.T, body string) {
		body = strings.ReplaceAll(body, "STATE", url.QueryEscape(id))
		r := httptest.NewRequest("POST", OpenID4VPResponsePath, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%q: %d %s", body, w.Code, w.Body)
		}
		if w.Code == http.StatusOK {
			form, err := url.ParseQuery(body)
			if err != nil || !walletErrorCodes[form.Get("error")] || form.Get("state") != id {
				t.Fatalf("%q accepted: %s", body, w.Body)
			}
		}
	})
}
