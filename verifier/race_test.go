package verifier

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// The double-vote world: one issuer, one holder, and raceRequests
// presentations answering requests created with a deterministic nonce
// source at the epoch. Any verifier seeded alike issues the same requests,
// so the presentations are proven once per test binary and reused for the
// embedded and the PostgreSQL runs.
const raceRequests = 4

var raceWorld struct {
	once   sync.Once
	issuer *testIssuer
	ids    []string
	subs   [][]byte
}

func raceFixture(t *testing.T) (*testIssuer, []string, [][]byte) {
	w := &raceWorld
	w.once.Do(func() {
		w.issuer = newTestIssuer(t, "agency.example")
		e := newEnv(t, newBolt(t), w.issuer)
		v := e.newVerifier(t, newBolt(t), &detRand{})
		voter := w.issuer.issue(t, aliceData)
		for range raceRequests {
			req, err := v.NewRequest(t.Context(), votePolicy(w.issuer.did))
			if err != nil {
				t.Fatal(err)
			}
			w.ids = append(w.ids, req.ID)
			w.subs = append(w.subs, voter.prove(t, req))
		}
	})
	if len(w.subs) != raceRequests {
		t.Fatal("race fixture failed in an earlier test")
	}
	return w.issuer, w.ids, w.subs
}

// doubleVote runs 200 concurrent submissions of the same holder's
// presentations (raceRequests distinct requests, same scope) against two
// verifier instances, each behind its own loopback HTTP server, sharing
// stores a and b's state: exactly one is accepted, every other is refused
// as a replay or a duplicate nullifier.
func doubleVote(t *testing.T, a, b Store) {
	issuer, ids, subs := raceFixture(t)
	e := newEnv(t, a, issuer)
	rnd := &detRand{}
	va := e.newVerifier(t, a, rnd)
	vb := e.newVerifier(t, b, nil)
	for i := range raceRequests {
		req, err := va.NewRequest(t.Context(), votePolicy(issuer.did))
		if err != nil {
			t.Fatal(err)
		}
		if req.ID != ids[i] {
			t.Fatalf("request %d: id %s, fixture has %s", i, req.ID, ids[i])
		}
	}
	servers := []*httptest.Server{httptest.NewServer(va.Handler()), httptest.NewServer(vb.Handler())}
	for _, s := range servers {
		defer s.Close()
	}
	const n = 200
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			srv := servers[i%2]
			k := i % raceRequests
			resp, err := srv.Client().Post(srv.URL+"/requests/"+ids[k]+"/presentations", "application/json", bytes.NewReader(subs[k]))
			if err != nil {
				t.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			outcome := "accepted"
			if resp.StatusCode != http.StatusOK {
				var eb ErrorBody
				if err := json.Unmarshal(body, &eb); err != nil {
					t.Errorf("status %d, body %q", resp.StatusCode, body)
				}
				outcome = eb.Code
			}
			mu.Lock()
			counts[outcome]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	t.Logf("outcomes: %v", counts)
	if counts["accepted"] != 1 || counts[CodeReplay]+counts[CodeDuplicateNullifier] != n-1 {
		t.Fatalf("outcomes %v: want exactly 1 accepted and %d replays or duplicate nullifiers", counts, n-1)
	}
}

func TestDoubleVoteBolt(t *testing.T) {
	s := newBolt(t)
	doubleVote(t, s, s)
}

func TestDoubleVotePostgres(t *testing.T) {
	open := pgSchemaForTest(t)
	doubleVote(t, open(), open())
}
