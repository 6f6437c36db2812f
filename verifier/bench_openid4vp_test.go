package verifier

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// BenchmarkVerifyResponse measures one accepted VerifyResponse call (an
// OpenID4VP response with one presentation carrying the holder's signed
// root: the stored request, its compilation, DID resolution from a static
// resolver, the root check, Groth16, the bbolt answer), one at a time, on
// the same verifier and requests:
//
//	go test -run '^$' -bench 'BenchmarkVerifyResponse' -benchtime 3s ./verifier
//
// per_response compiles the request (Request Object, DCQL query, zkcred
// request, statement parts) on every response, as before the compile
// cache; cached takes the compilation NewAuthorizationRequest cached.
// verifications/s is wall time, cpu_ms the process's CPU time per
// verification; allocs/op are those of one verification.
func BenchmarkVerifyResponse(b *testing.B) {
	const pool = 32
	ctx := context.Background()
	agency := newTestIssuer(b, "agency.example")
	store := newBolt(b)
	e := newEnv(b, store, agency)
	token := agency.signedRoot(b)
	_, sigKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	v, err := New(Config{Store: store, Audience: "https://vote.example", Resolver: e.resolver,
		Roots: RootSourceFunc(func(context.Context, string) (string, error) { return token, nil }),
		Key:   keys(b).VerifyingKey, Schemas: []*credential.Schema{testSchema()}, Now: e.clock.Func(),
		Logger:    slog.New(slog.DiscardHandler),
		ClientDID: verifierDID, SigningKey: sigKey, SigningKeyID: verifierDID + "#key-1", BaseURL: "https://verifier.example"})
	if err != nil {
		b.Fatal(err)
	}
	secret, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	held := openid4vp.Held{Holding: protocol.Holding{Credential: agency.storedFor(b, secret, aliceData), Secret: secret,
		IssuerKey: agency.zk.Public(), Revocation: agency.tree}, SignedRoot: token}
	reqs := make([]*StoredRequest, pool)
	ros := make([]*openid4vp.RequestObject, pool)
	for i := range reqs {
		ar, err := v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: ageQuery(b, agency.did, 18, "")})
		if err != nil {
			b.Fatal(err)
		}
		if reqs[i], err = store.GetRequest(ctx, ar.ID); err != nil {
			b.Fatal(err)
		}
		ros[i] = ar.RequestObject
	}
	resps := make([]*openid4vp.Response, pool)
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 2 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < pool; i = next.Add(1) - 1 {
				vp := presentVP(b, held, ros[i], "pid")
				resps[i] = &openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {vp}}, State: reqs[i].ID}
			}
		})
	}
	wg.Wait()
	reset := func(n int) {
		if _, err := store.DeleteExpired(ctx, farFuture); err != nil {
			b.Fatal(err)
		}
		for _, r := range reqs[:n] {
			if err := store.CreateRequest(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, mode := range []struct {
		name        string
		perResponse bool
	}{{"per_response", true}, {"cached", false}} {
		b.Run(mode.name, func(b *testing.B) {
			v.hot.authzPerResponse = mode.perResponse
			defer func() { v.hot.authzPerResponse = false }()
			b.ReportAllocs()
			b.ResetTimer()
			var cpu time.Duration
			done := 0
			for done < b.N {
				b.StopTimer()
				n := min(pool, b.N-done)
				reset(n)
				b.StartTimer()
				cpu0 := cpuTime()
				for i := range n {
					if _, err := v.VerifyResponse(ctx, resps[i], false); err != nil {
						b.Fatal(err)
					}
				}
				cpu += cpuTime() - cpu0
				done += n
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
			b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu_ms")
		})
	}
}
