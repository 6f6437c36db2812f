package verifier

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// TestAuthorizationResult: the page that showed the QR code learns the
// outcome through AuthorizationResult (from the Store) and OnResponse
// (each checked response of its own requests, nothing for unknown ones).
func TestAuthorizationResult(t *testing.T) {
	o := newOIDEnv(t)
	ctx := t.Context()
	type call struct {
		id  string
		res *ResponseResult
		err error
	}
	var mu sync.Mutex
	var calls []call
	cfg := o.v.cfg
	cfg.OnResponse = func(_ context.Context, id string, res *ResponseResult, err error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{id, res, err})
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ar, err := v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, o.agency.did),
		TransactionData: []*openid4vp.TransactionData{ballot("yes")}, ResponseMode: openid4vp.ResponseModeDirectPost})
	if err != nil {
		t.Fatal(err)
	}
	st, err := v.AuthorizationResult(ctx, ar.ID)
	if err != nil || st.State != AuthorizationPending || st.RequestID != ar.ID || !st.AnsweredAt.IsZero() {
		t.Fatalf("fresh: %+v %v", st, err)
	}
	for _, id := range []string{"", "AAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := v.AuthorizationResult(ctx, id); !errors.Is(err, ErrUnknownRequest) {
			t.Errorf("AuthorizationResult(%q): %v, want ErrUnknownRequest", id, err)
		}
	}

	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	alice := o.held(t, secret, aliceData)
	// A unknown state: refused, and nothing reported.
	honest := presentVP(t, alice, ar.RequestObject, "pid")
	if _, err := v.VerifyResponse(ctx, &openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {honest}}, State: "AAAAAAAAAAAAAAAAAAAAAA"}, false); err == nil {
		t.Fatal("unknown state accepted")
	}
	// A proof for another ballot: refused, reported, still pending.
	ro := *ar.RequestObject
	no, _ := ballot("no").Encode()
	ro.TransactionData = []string{no}
	bad := presentVP(t, alice, &ro, "pid")
	if _, err := v.VerifyResponse(ctx, &openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {bad}}, State: ar.ID}, false); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("other ballot: %v", err)
	}
	if st, err := v.AuthorizationResult(ctx, ar.ID); err != nil || st.State != AuthorizationPending {
		t.Fatalf("after a refusal: %+v %v", st, err)
	}
	// The honest answer: accepted, reported with its result.
	if _, err := v.VerifyResponse(ctx, &openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {honest}}, State: ar.ID}, false); err != nil {
		t.Fatal(err)
	}
	st, err = v.AuthorizationResult(ctx, ar.ID)
	if err != nil || st.State != AuthorizationAccepted || st.AnsweredAt.IsZero() {
		t.Fatalf("accepted: %+v %v", st, err)
	}
	mu.Lock()
	got := calls
	mu.Unlock()
	if len(got) != 2 || got[0].id != ar.ID || !errors.Is(got[0].err, ErrInvalidProof) || got[0].res != nil ||
		got[1].id != ar.ID || got[1].err != nil || got[1].res == nil {
		t.Fatalf("OnResponse calls: %+v", got)
	}
	if p := got[1].res.Presentations["pid"]; len(p) != 1 || p[0].Disclosed["voterEligible"] != true || len(p[0].Disclosed) != 1 {
		t.Errorf("reported result: %+v", got[1].res)
	}

	// Expired, unanswered.
	ar2, err := v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, o.agency.did)})
	if err != nil {
		t.Fatal(err)
	}
	o.clock.Add(openid4vp.MaxRequestLifetime + time.Second)
	if st, err := v.AuthorizationResult(ctx, ar2.ID); err != nil || st.State != AuthorizationExpired {
		t.Errorf("expired: %+v %v", st, err)
	}
}
