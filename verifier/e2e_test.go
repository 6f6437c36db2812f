package verifier

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/mr-tron/base58"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/zkp"
)

// wallet fetches a request the way a holder's wallet does: GET, then a
// strict parse.
func wallet(t *testing.T, h http.Handler, id string) *protocol.Request {
	t.Helper()
	res := do(t, h, "GET", "/requests/"+id, "", nil)
	if res.status != http.StatusOK {
		t.Fatalf("GET request: %d %s", res.status, res.body)
	}
	req, err := protocol.ParseRequest(res.body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func createRequest(t *testing.T, h http.Handler, p protocol.Policy) *protocol.Request {
	t.Helper()
	b, _ := json.Marshal(p)
	res := do(t, h, "POST", "/requests", "application/json", b)
	if res.status != http.StatusCreated {
		t.Fatalf("POST /requests: %d %s", res.status, res.body)
	}
	req, err := protocol.ParseRequest(res.body)
	if err != nil {
		t.Fatal(err)
	}
	return wallet(t, h, req.ID)
}

func present(h http.Handler, id string, sub []byte) httpResult {
	return postPresentation(h, id, sub)
}

func postPresentation(h http.Handler, id string, sub []byte) httpResult {
	return serve(h, "POST", "/requests/"+id+"/presentations", "application/json", sub)
}

func TestEndToEnd(t *testing.T) {
	agency := newTestIssuer(t, "agency.example")
	rogue := newTestIssuer(t, "rogue.example")
	e := newEnv(t, newBolt(t), agency, rogue)
	h := e.v.Handler()
	policy := votePolicy(agency.did)
	alice := agency.issue(t, aliceData)

	// Honest: alice (born 2008-02-29) is 18 on 2026-03-01.
	req := createRequest(t, h, policy)
	sub := alice.prove(t, req)
	res := present(h, req.ID, sub)
	if res.status != http.StatusOK {
		t.Fatalf("honest presentation: %d %s", res.status, res.body)
	}
	var r Result
	if err := strictjson.Unmarshal(res.body, &r); err != nil {
		t.Fatal(err)
	}
	wantNull := credential.Nullifier(alice.secret.Element(), credential.ScopeFor(req.Audience, policy.Scope))
	wantNullB := wantNull.Bytes()
	if r.RequestID != req.ID || r.Issuer != agency.did || r.IssuerKey != agency.zkKeyID ||
		r.Disclosed["voterEligible"] != true || len(r.Disclosed) != 1 || len(r.Predicates) != 3 ||
		r.Scope != policy.Scope || r.Nullifier != hex.EncodeToString(wantNullB[:]) {
		t.Errorf("result %s", res.body)
	}

	t.Run("replay", func(t *testing.T) {
		wantError(t, present(h, req.ID, sub), http.StatusConflict, CodeReplay)
	})
	t.Run("unknown request", func(t *testing.T) {
		wantError(t, present(h, "AAAAAAAAAAAAAAAAAAAAAA", sub), http.StatusNotFound, CodeUnknownRequest)
		// Verify with a request object the verifier did not issue.
		forged := *req
		forged.Audience = "https://elsewhere.example"
		if _, err := e.v.Verify(t.Context(), &forged, sub); !errors.Is(err, ErrUnknownRequest) {
			t.Errorf("forged request: %v", err)
		}
	})
	t.Run("proof for another request", func(t *testing.T) {
		other := createRequest(t, h, policy)
		wantError(t, present(h, other.ID, sub), http.StatusUnprocessableEntity, CodeInvalidProof)
	})
	t.Run("expired request", func(t *testing.T) {
		bob := agency.issue(t, aliceData)
		req := createRequest(t, h, policy)
		sub := bob.prove(t, req)
		e.clock.Add(DefaultRequestTTL)
		defer e.clock.Add(-DefaultRequestTTL)
		wantError(t, present(h, req.ID, sub), http.StatusGone, CodeExpiredRequest)
	})
	t.Run("stale root", func(t *testing.T) {
		carol := agency.issue(t, aliceData)
		p := policy
		p.MaxRootAge = 60
		req := createRequest(t, h, p)
		sub := carol.prove(t, req)
		e.clock.Add(2 * time.Minute) // the root signed at the epoch is now too old
		defer e.clock.Add(-2 * time.Minute)
		wantError(t, present(h, req.ID, sub), http.StatusUnprocessableEntity, CodeStaleRoot)
		// The issuer re-signs the same root: the same presentation passes.
		agency.republish(e.clock.Now())
		if res := present(h, req.ID, sub); res.status != http.StatusOK {
			t.Errorf("after republish: %d %s", res.status, res.body)
		}
	})
	t.Run("revoked credential", func(t *testing.T) {
		dave := agency.issue(t, aliceData)
		req := createRequest(t, h, policy)
		sub := dave.prove(t, req) // against the root before revocation
		agency.revoke(t, dave.cred.RevocationID, e.clock.Now())
		wantError(t, present(h, req.ID, sub), http.StatusUnprocessableEntity, CodeInvalidProof)
		if _, err := status.NonRevocationWitness(agency.tree, dave.cred.RevocationID); !errors.Is(err, status.ErrRevoked) {
			t.Errorf("revoked holder can still build a witness: %v", err)
		}
	})
	t.Run("untrusted issuer", func(t *testing.T) {
		mallory := rogue.issue(t, aliceData)
		req := createRequest(t, h, policy)
		sub := mallory.prove(t, req)
		wantError(t, present(h, req.ID, sub), http.StatusForbidden, CodeUntrustedIssuer)
		// Claiming the trusted issuer's key does not help: the statement
		// uses that key, which did not sign mallory's credential.
		relabeled := bytes.Replace(sub, []byte(rogue.zkKeyID), []byte(agency.zkKeyID), 1)
		wantError(t, present(h, req.ID, relabeled), http.StatusUnprocessableEntity, CodeInvalidProof)
		// Nor does naming the trusted issuer's JOSE key, or a key it lacks.
		for _, kid := range []string{agency.joseKeyID, agency.did + "#zk-2"} {
			relabeled := bytes.Replace(sub, []byte(rogue.zkKeyID), []byte(kid), 1)
			wantError(t, present(h, req.ID, relabeled), http.StatusForbidden, CodeUntrustedIssuer)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		req := createRequest(t, h, policy)
		var s protocol.Submission
		if err := json.Unmarshal(sub, &s); err != nil {
			t.Fatal(err)
		}
		flip := bytes.Clone(sub)
		i := bytes.Index(flip, []byte(`"proof":"`)) + 12
		flip[i] ^= 0x01
		for name, body := range map[string][]byte{
			"empty":          {},
			"not JSON":       []byte("hello"),
			"truncated":      sub[:len(sub)/2],
			"trailing data":  append(bytes.Clone(sub), '{'),
			"unknown field":  bytes.Replace(sub, []byte(`{"version"`), []byte(`{"x":1,"version"`), 1),
			"wrong version":  bytes.Replace(sub, []byte(protocol.SubmissionVersion), []byte("zkcred-submission-v9"), 1),
			"presentation 0": bytes.Replace(sub, s.Presentation, []byte(`0`), 1),
			"issuer not DID": bytes.Replace(sub, []byte(agency.zkKeyID), []byte("https://x"), 1),
			"proof bit flip": flip,
		} {
			res := present(h, req.ID, body)
			if res.status < 400 || res.status >= 500 {
				t.Errorf("%s: status %d %s", name, res.status, res.body)
			}
		}
		wantError(t, present(h, req.ID, []byte("{")), http.StatusBadRequest, CodeMalformedPresentation)
		wantError(t, do(t, h, "POST", "/requests/"+req.ID+"/presentations", "text/plain", sub), http.StatusUnsupportedMediaType, CodeUnsupportedMediaType)
		big := append([]byte(`{"version":"`), bytes.Repeat([]byte("a"), MaxHTTPBody)...)
		wantError(t, present(h, req.ID, big), http.StatusRequestEntityTooLarge, CodeTooLarge)
		// None of this consumed the request.
		if r, err := e.v.cfg.Store.GetRequest(t.Context(), req.ID); err != nil || !r.AnsweredAt.IsZero() {
			t.Errorf("request after rejects: %+v %v", r, err)
		}
	})
	t.Run("presentations are not logged", func(t *testing.T) {
		var s protocol.Submission
		if err := json.Unmarshal(sub, &s); err != nil {
			t.Fatal(err)
		}
		var p struct{ Proof string }
		if err := json.Unmarshal(s.Presentation, &p); err != nil || len(p.Proof) < 100 {
			t.Fatalf("no proof in submission: %v", err)
		}
		logs := e.logs.String()
		if !strings.Contains(logs, "presentation accepted") || !strings.Contains(logs, "request refused") {
			t.Errorf("expected outcome lines in the log:\n%s", logs)
		}
		if strings.Contains(logs, p.Proof[:40]) {
			t.Error("the log contains proof bytes")
		}
	})
	t.Run("one vote per scope", func(t *testing.T) {
		// alice already voted: a fresh request in the same scope gets a
		// valid proof but a duplicate nullifier.
		req := createRequest(t, h, policy)
		wantError(t, present(h, req.ID, alice.prove(t, req)), http.StatusConflict, CodeDuplicateNullifier)
		// In another scope she may act once.
		p := policy
		p.Scope = "petition-42"
		req2 := createRequest(t, h, p)
		if res := present(h, req2.ID, alice.prove(t, req2)); res.status != http.StatusOK {
			t.Errorf("other scope: %d %s", res.status, res.body)
		}
	})
}

// TestLeapDayBirthday: born 29 Feb 2008, alice cannot prove she is 18 on
// 28 Feb 2026 (the holder's Prove refuses before proving) and can on 1 Mar.
func TestLeapDayBirthday(t *testing.T) {
	agency := newTestIssuer(t, "agency.example")
	e := newEnv(t, newBolt(t), agency)
	h := agency.issue(t, aliceData)
	p := votePolicy(agency.did)
	p.Predicates = p.Predicates[:1]
	for _, tc := range []struct {
		now time.Time
		ok  bool
	}{
		{time.Date(2026, 2, 28, 23, 59, 0, 0, time.UTC), false},
		{time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), true},
	} {
		e.clock.Set(tc.now)
		agency.republish(tc.now)
		req, err := e.v.NewRequest(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := req.Compile(testSchema(), testShape)
		if err != nil {
			t.Fatal(err)
		}
		cutoff := c.Predicates[0].A
		birth := h.cred.Slots[0]
		if got := birth.Cmp(&cutoff) <= 0; got != tc.ok {
			t.Errorf("on %s: birth ≤ cutoff is %v", req.Date, got)
		}
		if tc.ok {
			if _, err := e.v.Verify(t.Context(), req, h.prove(t, req)); err != nil {
				t.Errorf("on %s: %v", req.Date, err)
			}
			continue
		}
		ik := agency.zk.Public()
		rw, _ := status.NonRevocationWitness(agency.tree, h.cred.RevocationID)
		_, err = zkp.Prove(keys(t), c.Statement(ik, agency.tree.Root()),
			&zkp.Witness{Credential: h.cred, Secret: h.secret.Element(), Revocation: rw, Sets: make([]*status.Witness, testShape.Predicates)})
		if !errors.Is(err, zkp.ErrUnsatisfied) || !strings.Contains(err.Error(), "predicate") {
			t.Errorf("on %s: Prove = %v, want ErrUnsatisfied", req.Date, err)
		}
	}
}

// TestSmallOrderIssuerKey: a DID document whose ZK key is a small-order
// point (with which anyone could forge the issuer's signature in-circuit)
// is refused as an untrusted issuer before any proof is checked.
func TestSmallOrderIssuerKey(t *testing.T) {
	agency := newTestIssuer(t, "agency.example")
	good := agency.doc.VerificationMethod[0].PublicKeyMultibase
	raw, err := base58.Decode(good[1:])
	if err != nil {
		t.Fatal(err)
	}
	// (0, -1) has order 2: compressed, y = p-1 little-endian, x sign 0.
	var pt twistededwards.PointAffine
	pt.X.SetZero()
	pt.Y.SetOne()
	pt.Y.Neg(&pt.Y)
	if !pt.IsOnCurve() {
		t.Fatal("test point not on curve")
	}
	enc := pt.Bytes()
	bad := append(raw[:len(raw)-32:len(raw)-32], enc[:]...)
	agency.doc.VerificationMethod[0].PublicKeyMultibase = "z" + base58.Encode(bad)
	e := newEnv(t, newBolt(t), agency)
	req, err := e.v.NewRequest(t.Context(), votePolicy(agency.did))
	if err != nil {
		t.Fatal(err)
	}
	// Any well-formed presentation will do: the key is refused first.
	// The seed was made for another key: realSubmission names this
	// verifier's, so the submission passes the key check that comes before
	// the issuer's.
	seed := realSubmission(t)
	if _, err := e.v.Verify(t.Context(), req, seed); !errors.Is(err, ErrUntrustedIssuer) || !errors.Is(err, did.ErrInvalidKey) {
		t.Fatalf("small-order key: %v", err)
	}
}
