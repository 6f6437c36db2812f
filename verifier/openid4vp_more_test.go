package verifier

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// failingAnswers is a Store whose Answer fails as a store does when its
// disk or database is gone.
type failingAnswers struct{ Store }

func (failingAnswers) Answer(context.Context, *AnswerRecord) error {
	return fmt.Errorf("%w: test: database unreachable", ErrStore)
}

// withRoot returns the presentation p carrying the signed root tok instead.
func withRoot(t *testing.T, p json.RawMessage, tok string) json.RawMessage {
	t.Helper()
	pres, err := openid4vp.ParsePresentation(p)
	if err != nil {
		t.Fatal(err)
	}
	pres.RevocationRoot = tok
	b, err := json.Marshal(pres)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Refusals of one response that need a single proof between them: the
// store failing (503, retry), a root older than the query allows, a root
// below the store's floor (rolled back), a response in the wrong mode. None
// of them consumes the request.
func TestOpenID4VPRefusals(t *testing.T) {
	o := newOIDEnv(t)
	ctx := t.Context()
	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	alice := o.held(t, secret, aliceData)
	ar, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, o.agency.did),
		ResponseMode: openid4vp.ResponseModeDirectPost})
	if err != nil {
		t.Fatal(err)
	}
	p := presentVP(t, alice, ar.RequestObject, "pid")
	form := vpForm(ar.ID, map[string][]json.RawMessage{"pid": {p}})

	// The store fails when recording the answer: 503
	// temporarily_unavailable ("could not check, retry"), not a rejection.
	saved := o.store
	o.store = failingAnswers{saved}
	down := o.newVerifier(t, o.resolver)
	o.store = saved
	rsp := httptest.NewRecorder()
	hr := httptest.NewRequest(http.MethodPost, OpenID4VPResponsePath, strings.NewReader(form.Encode()))
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	down.Handler().ServeHTTP(rsp, hr)
	var e OpenID4VPError
	if err := json.Unmarshal(rsp.Body.Bytes(), &e); err != nil || rsp.Code != http.StatusServiceUnavailable ||
		e.Error != "temporarily_unavailable" || e.ZKCredCode != CodeUnavailable {
		t.Errorf("store down: %d %s, want 503 temporarily_unavailable", rsp.Code, rsp.Body)
	}
	if _, err := down.VerifyResponse(ctx, &openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {p}}, State: ar.ID}, false); !errors.Is(err, ErrUnavailable) {
		t.Errorf("store down: %v, want ErrUnavailable", err)
	}

	// A response posted in the other mode (direct_post.jwt for a
	// direct_post request, direct_post for a direct_post.jwt one).
	if _, err := o.v.VerifyResponse(ctx, &openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {p}}, State: ar.ID}, true); err == nil {
		t.Error("direct_post request answered as direct_post.jwt")
	} else if status, code := ErrorCode(err); status != http.StatusBadRequest || code != CodeMalformedPresentation {
		t.Errorf("wrong mode: %d %s", status, code)
	}
	jwtReq, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, o.agency.did)})
	if err != nil {
		t.Fatal(err)
	}
	if jwtReq.RequestObject.ResponseMode != openid4vp.ResponseModeDirectPostJWT {
		t.Fatalf("default mode %s", jwtReq.RequestObject.ResponseMode)
	}
	if status, code := o.post(t, vpForm(jwtReq.ID, map[string][]json.RawMessage{"pid": {p}})); status != http.StatusBadRequest || code != CodeMalformedPresentation {
		t.Errorf("direct_post to a direct_post.jwt request: %d %s, want 400 malformed_presentation", status, code)
	}

	// A carried root older than the query's zkcred_max_root_age (3600 s).
	o.agency.mu.Lock()
	fresh := o.agency.rootTime
	o.agency.rootTime = o.clock.Func()().Add(-2 * time.Hour)
	o.agency.mu.Unlock()
	old := o.agency.signedRoot(t)
	o.agency.mu.Lock()
	o.agency.rootTime = fresh
	o.agency.mu.Unlock()
	if status, code := o.post(t, vpForm(ar.ID, map[string][]json.RawMessage{"pid": {withRoot(t, p, old)}})); status != http.StatusUnprocessableEntity || code != CodeStaleRoot {
		t.Errorf("root two hours old: %d %s, want 422 stale_root", status, code)
	}

	// A carried root below the store's floor: another answer (possibly of
	// another instance) accepted a newer root of this issuer.
	seq := o.agency.seq
	other := newStoredRequest(t, time.Now().Add(time.Hour))
	if err := o.store.CreateRequest(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := o.store.Answer(ctx, &AnswerRecord{RequestID: other.ID, At: time.Now(), Roots: []AnswerRoot{{o.agency.did, seq + 1}}}); err != nil {
		t.Fatal(err)
	}
	if status, code := o.post(t, vpForm(ar.ID, map[string][]json.RawMessage{"pid": {p}})); status != http.StatusUnprocessableEntity || code != CodeStaleRoot {
		t.Errorf("rolled-back root (%d below floor %d): %d %s, want 422 stale_root", seq, seq+1, status, code)
	}

	// Nothing of the refusals was recorded.
	if s, err := o.store.GetRequest(ctx, ar.ID); err != nil || !s.AnsweredAt.IsZero() {
		t.Errorf("refused responses consumed the request: %v %+v", err, s)
	}
}

// An AND query (two credentials of one holder) answered by the wallet over
// direct_post.jwt.
func TestOpenID4VPAndDirectPostJWT(t *testing.T) {
	o := newOIDEnv(t)
	ctx := t.Context()
	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	ar, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: andQuery(t, o.agency.did)})
	if err != nil {
		t.Fatal(err)
	}
	if ar.RequestObject.ResponseMode != openid4vp.ResponseModeDirectPostJWT {
		t.Fatalf("mode %s", ar.RequestObject.ResponseMode)
	}
	var consented bool
	ans, err := openid4vp.Answer(ctx, o.walletConfig(t, []openid4vp.Held{o.held(t, secret, aliceData), o.held(t, secret, aliceData)}, &consented), ar.URI)
	if err != nil {
		t.Fatalf("answer: %v %+v", err, ans)
	}
	var res ResponseResult
	if err := json.Unmarshal(ans.Body, &res); err != nil || res.RequestID != ar.ID || len(res.Presentations["a"]) != 1 || len(res.Presentations["b"]) != 1 {
		t.Errorf("result %s", ans.Body)
	}
	o.mu.Lock()
	posted := string(o.lastPost)
	o.mu.Unlock()
	if !strings.HasPrefix(posted, "response=") || strings.Contains(posted, "vp_token") {
		t.Errorf("not posted as direct_post.jwt: %.100s", posted)
	}
	if s, err := o.store.GetRequest(ctx, ar.ID); err != nil || s.AnsweredAt.IsZero() {
		t.Errorf("accepted response not recorded: %v", err)
	}
}
