package verifier

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// benchWorld holds k proven, unscoped requests. reset puts them back in
// the store unanswered (the same nonces, so the same proofs answer them
// again): every timed verification is a full, accepted one.
type benchWorld struct {
	e     *env
	store Store
	reqs  []*StoredRequest
	subs  [][]byte
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

func newBenchWorld(b *testing.B, store Store, k int) *benchWorld {
	agency := newTestIssuer(b, "agency.example")
	w := &benchWorld{e: newEnv(b, store, agency), store: store}
	p := votePolicy(agency.did)
	p.Scope = "" // a nullifier could be recorded only once
	h := agency.issue(b, aliceData)
	for range k {
		req, err := w.e.v.NewRequest(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		sr, err := store.GetRequest(context.Background(), req.ID)
		if err != nil {
			b.Fatal(err)
		}
		w.reqs = append(w.reqs, sr)
		w.subs = append(w.subs, h.prove(b, req))
	}
	return w
}

func (w *benchWorld) reset(b *testing.B) {
	ctx := context.Background()
	if _, err := w.store.DeleteExpired(ctx, farFuture); err != nil {
		b.Fatal(err)
	}
	for _, r := range w.reqs {
		if err := w.store.CreateRequest(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures one accepted Verify call (decode, DID
// resolution from a static resolver, signed root check, statement, Groth16
// verification, atomic store update), without network.
func BenchmarkVerify(b *testing.B) {
	for _, bs := range []struct {
		name string
		open func(b *testing.B) Store
	}{
		{"bbolt", func(b *testing.B) Store { return newBolt(b) }},
		{"postgres", func(b *testing.B) Store { return pgSchemaForTest(b)() }},
	} {
		b.Run(bs.name, func(b *testing.B) {
			w := newBenchWorld(b, bs.open(b), 1)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				w.reset(b)
				b.StartTimer()
				if _, err := w.e.v.VerifyID(ctx, w.reqs[0].ID, w.subs[0]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/verify")
		})
	}
}

// BenchmarkHandlerThroughput posts accepted presentations to the handler
// over loopback HTTP from parallel clients (one per proven request) and
// reports verifications per second.
func BenchmarkHandlerThroughput(b *testing.B) {
	const clients = 8
	w := newBenchWorld(b, newBolt(b), clients)
	srv := httptest.NewServer(w.e.v.Handler())
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = clients
	post := func(i int) {
		resp, err := client.Post(srv.URL+"/requests/"+w.reqs[i].ID+"/presentations", "application/json", bytes.NewReader(w.subs[i]))
		if err != nil {
			b.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Errorf("status %d", resp.StatusCode)
		}
	}
	b.ResetTimer()
	done := 0
	for done < b.N {
		b.StopTimer()
		w.reset(b)
		n := min(clients, b.N-done)
		b.StartTimer()
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { post(i) })
		}
		wg.Wait()
		done += n
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}
