package verifier

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// countingTiles is a tlog.Getter that counts the tile requests it
// forwards (a delay makes concurrent callers overlap).
type countingTiles struct {
	g     tlog.Getter
	tiles atomic.Int64
	delay time.Duration
}

func (c *countingTiles) Get(ctx context.Context, u, accept string) (*fetch.Response, error) {
	if strings.Contains(u, "/tile/") {
		c.tiles.Add(1)
		time.Sleep(c.delay)
	}
	return c.g.Get(ctx, u, accept)
}

// TestCheckpointAttackOldCheckpointFetchAmplification: a response with
// many presentations, each carrying a genuine checkpoint older than the
// stored one. Presentations whose proof does not verify make the verifier
// fetch nothing (the proof is checked before consistency); valid ones
// fetch the consistency proof's tiles once, the rest cost no fetch (the
// verdict for that pair is cached).
func TestCheckpointAttackOldCheckpointFetchAmplification(t *testing.T) {
	ctx := t.Context()
	e := newLogEnv(t, 1)
	e.clock.Add(time.Minute)
	var old *tlog.Checkpoint
	for i := range 20 {
		e.clock.Add(time.Second)
		old = e.revoke(t, uint64(7000+i))
	}

	pub, sigKey, _ := ed25519.GenerateKey(rand.Reader)
	vdoc := &did.Document{ID: verifierDID}
	m, _ := did.NewMultikeyMethod(verifierDID+"#key-1", verifierDID, pub)
	if err := vdoc.AddVerificationMethod(m, did.Authentication); err != nil {
		t.Fatal(err)
	}
	res, err := did.NewStaticResolver(e.issuer.doc, vdoc)
	if err != nil {
		t.Fatal(err)
	}
	store := newBolt(t)
	tiles := &countingTiles{g: e.fetch}
	v, err := New(Config{Store: store, Audience: "https://vote.example", Resolver: res,
		Log: &LogPolicy{Witnesses: []*tlog.WitnessKey{e.wits[0].Key()}, Quorum: 1, Tiles: tiles},
		Key: keys(t).VerifyingKey, Schemas: []*credential.Schema{testSchema()}, Now: e.clock.Func(),
		ClientDID: verifierDID, SigningKey: sigKey, SigningKeyID: verifierDID + "#key-1", BaseURL: e.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	newReq := func() *AuthorizationRequest {
		ar, err := v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, e.issuer.did),
			ResponseMode: openid4vp.ResponseModeDirectPost})
		if err != nil {
			t.Fatal(err)
		}
		return ar
	}
	// The holder proves against the old checkpoint's tree.
	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	held := openid4vp.Held{Holding: protocol.Holding{Credential: e.issuer.storedFor(t, secret, aliceData), Secret: secret,
		IssuerKey: e.issuer.zk.Public(), Revocation: e.issuer.tree}}
	arA, arB := newReq(), newReq()
	present := func(held openid4vp.Held, ar *AuthorizationRequest) json.RawMessage {
		var p openid4vp.Presentation
		if err := json.Unmarshal(presentVP(t, held, ar.RequestObject, "pid"), &p); err != nil {
			t.Fatal(err)
		}
		p.Version, p.RevocationRoot, p.Checkpoint = openid4vp.PresentationVersion, "", string(old.Note)
		b, err := json.Marshal(&p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	arCs := []*AuthorizationRequest{newReq(), newReq(), newReq(), newReq()}
	forA := present(held, arA)
	// Other citizens (one vote each in the scope) hold the same old checkpoint.
	forCs := make([]json.RawMessage, len(arCs))
	for i, ar := range arCs {
		s, _ := credential.GenerateHolderSecret(rand.Reader)
		h := held
		h.Credential, h.Secret = e.issuer.storedFor(t, s, aliceData), s
		forCs[i] = present(h, ar)
	}

	// The log grows; another instance sharing the store advances it.
	e.clock.Add(time.Second)
	newer := e.revoke(t, 9000)
	other := e.verifier(t, store, 1)
	if _, err := e.accept(other, newer.Note); err != nil {
		t.Fatal(err)
	}

	// A presentation made for request A, sent to request B: its proof
	// does not verify, nothing is fetched.
	_, err = v.VerifyResponse(ctx, &openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {forA}}, State: arB.ID}, false)
	if !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("proof for another request: %v, want ErrInvalidProof", err)
	}
	// 16 copies in one response are refused by the count check before any
	// presentation is looked at.
	bad := make([]json.RawMessage, 16)
	for i := range bad {
		bad[i] = forA
	}
	_, err = v.VerifyResponse(ctx, &openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": bad}, State: newReq().ID}, false)
	if !errors.Is(err, ErrUnsatisfiedQuery) {
		t.Fatalf("16 presentations for a single-credential query: %v, want ErrUnsatisfiedQuery", err)
	}
	if n := tiles.tiles.Load(); n != 0 {
		t.Fatalf("presentations without a valid proof made the verifier fetch %d tiles", n)
	}

	// A valid presentation of the old checkpoint: the first fetches the
	// consistency proof's tiles, later ones (other requests, same
	// checkpoint pair) fetch nothing.
	_, err = v.VerifyResponse(ctx, &openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {forA}}, State: arA.ID}, false)
	if err != nil {
		t.Fatalf("one valid presentation of an older consistent checkpoint: %v", err)
	}
	first := tiles.tiles.Load()
	if first == 0 {
		t.Fatal("the consistency proof fetched no tile: the test proves nothing")
	}
	for i, ar := range arCs {
		if _, err := v.VerifyResponse(ctx, &openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {forCs[i]}}, State: ar.ID}, false); err != nil {
			t.Fatalf("valid presentation %d of the same old checkpoint: %v", i, err)
		}
	}
	if n := tiles.tiles.Load(); n != first {
		t.Fatalf("%d more presentations of the same old checkpoint fetched %d more tiles, want 0", len(arCs), n-first)
	}
}

// TestCheckpointAttackConcurrentFetchesCoalesced: many concurrent checks
// of one (old, stored) pair on a fresh verifier share one fetch.
func TestCheckpointAttackConcurrentFetchesCoalesced(t *testing.T) {
	e := newLogEnv(t, 1)
	e.clock.Add(time.Minute)
	old := e.revoke(t, 1)
	var newer *tlog.Checkpoint
	for i := range 20 {
		e.clock.Add(time.Second)
		newer = e.revoke(t, uint64(100+i))
	}
	store := newBolt(t)
	if _, err := e.accept(e.verifier(t, store, 1), newer.Note); err != nil {
		t.Fatal(err)
	}
	// Once, alone, on a fresh verifier: how many tiles one check fetches.
	solo := &countingTiles{g: e.fetch}
	vs := e.verifier(t, store, 1)
	vs.cfg.Log.Tiles = solo
	if _, err := e.accept(vs, old.Note); err != nil {
		t.Fatal(err)
	}
	one := solo.tiles.Load()
	if one == 0 {
		t.Fatal("no tile fetched: the test proves nothing")
	}
	tiles := &countingTiles{g: e.fetch, delay: 50 * time.Millisecond}
	v := e.verifier(t, store, 1)
	v.cfg.Log.Tiles = tiles
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() { _, errs[i] = e.accept(v, old.Note) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := tiles.tiles.Load(); n != one {
		t.Fatalf("16 concurrent checks fetched %d tiles, one alone fetches %d", n, one)
	}
	if _, err := e.accept(v, old.Note); err != nil || tiles.tiles.Load() != one {
		t.Fatalf("a later check: %v, %d tiles", err, tiles.tiles.Load())
	}
}

// TestCheckpointAttackNoLogURLFromEmpty: the store holds the issuer's
// empty log's checkpoint and the issuer names no log URL: every log
// extends the empty one, so no proof (and no URL) is needed.
func TestCheckpointAttackNoLogURLFromEmpty(t *testing.T) {
	e := newLogEnv(t, 1)
	empty := e.writer.Checkpoint()
	if empty.Size != 0 {
		t.Fatalf("writer's first checkpoint has size %d", empty.Size)
	}
	e.clock.Add(time.Minute)
	cp := e.revoke(t, 42)
	e.issuer.doc.Service = nil
	res, err := did.NewStaticResolver(e.issuer.doc)
	if err != nil {
		t.Fatal(err)
	}
	e.res = res
	tiles := &countingTiles{g: e.fetch}
	v := e.verifier(t, newBolt(t), 1)
	v.cfg.Log.Tiles = tiles
	if _, err := e.accept(v, empty.Note); err != nil {
		t.Fatalf("empty log's checkpoint: %v", err)
	}
	if _, err := e.accept(v, cp.Note); err != nil {
		t.Fatalf("first checkpoint after the empty one, no log URL: %v", err)
	}
	if n := tiles.tiles.Load(); n != 0 {
		t.Fatalf("%d tiles fetched", n)
	}
}

// TestCheckpointAttackConfigMistakes: configuration mistakes that would
// refuse (or silently weaken) every checkpoint fail at New with a message
// that says what to fix.
func TestCheckpointAttackConfigMistakes(t *testing.T) {
	e := newLogEnv(t, 2)
	w0, w1 := e.wits[0].Key(), e.wits[1].Key()
	sameKey, err := tlog.NewWitnessKey("alias.example", w0.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	selfOrigin, _ := tlog.RevocationOrigin(e.issuer.did)
	selfNamed, _ := tlog.NewWitnessKey(selfOrigin, w1.PublicKey())
	cases := []struct {
		name string
		lp   LogPolicy
		want string
	}{
		{"witness twice", LogPolicy{Witnesses: []*tlog.WitnessKey{w0, w0}, Quorum: 1}, "listed twice"},
		{"one key two names", LogPolicy{Witnesses: []*tlog.WitnessKey{w0, sameKey}, Quorum: 2}, "listed twice"},
		{"quorum above witnesses", LogPolicy{Witnesses: []*tlog.WitnessKey{w0}, Quorum: 2}, "lower the quorum"},
		{"quorum 0", LogPolicy{Witnesses: []*tlog.WitnessKey{w0}, Quorum: 0}, "InsecureNoWitnesses"},
		{"quorum negative", LogPolicy{Witnesses: []*tlog.WitnessKey{w0}, Quorum: -1, InsecureNoWitnesses: true}, "Quorum -1"},
		{"issuer quorum 0", LogPolicy{Witnesses: []*tlog.WitnessKey{w0}, Quorum: 1,
			Issuers: map[string]WitnessSet{e.issuer.did: {}}}, "InsecureNoWitnesses"},
		{"issuer not a DID", LogPolicy{Witnesses: []*tlog.WitnessKey{w0}, Quorum: 1,
			Issuers: map[string]WitnessSet{" " + e.issuer.did: {Witnesses: []*tlog.WitnessKey{w1}, Quorum: 1}}}, "not a DID"},
		{"issuer twice", LogPolicy{Witnesses: []*tlog.WitnessKey{w0}, Quorum: 1,
			Issuers: map[string]WitnessSet{e.issuer.did: {Witnesses: []*tlog.WitnessKey{w1}, Quorum: 1},
				"did:web:" + strings.ToUpper(strings.TrimPrefix(e.issuer.did, "did:web:")): {Witnesses: []*tlog.WitnessKey{w1}, Quorum: 1}}}, "listed twice"},
		{"witness named like the log", LogPolicy{Witnesses: []*tlog.WitnessKey{w0}, Quorum: 1,
			Issuers: map[string]WitnessSet{e.issuer.did: {Witnesses: []*tlog.WitnessKey{selfNamed}, Quorum: 1}}}, "cannot witness itself"},
	}
	for _, c := range cases {
		c.lp.Tiles = e.fetch
		_, err := New(Config{Store: newBolt(t), Audience: "https://vote.example", Resolver: e.res, Log: &c.lp,
			Key: keys(t).VerifyingKey, Schemas: []*credential.Schema{testSchema()}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: New: %v, want an error saying %q", c.name, err, c.want)
		}
	}

	// A DID written with an upper-case host is normalized: its witness set
	// applies (quorum 2 of both), not the global one (quorum 1 of w0).
	e.clock.Add(time.Minute)
	cp := e.revoke(t, 5)
	upper := "did:web:" + strings.ToUpper(strings.TrimPrefix(e.issuer.did, "did:web:"))
	v, err := New(Config{Store: newBolt(t), Audience: "https://vote.example", Resolver: e.res,
		Log: &LogPolicy{Witnesses: []*tlog.WitnessKey{w0}, Quorum: 1, Tiles: e.fetch,
			Issuers: map[string]WitnessSet{upper: {Witnesses: []*tlog.WitnessKey{w0, w1}, Quorum: 2}}},
		Key: keys(t).VerifyingKey, Schemas: []*credential.Schema{testSchema()}, Now: e.clock.Func()})
	if err != nil {
		t.Fatal(err)
	}
	if ws, q := v.cfg.Log.witnesses(e.issuer.did); q != 2 || len(ws) != 2 {
		t.Fatalf("issuer %s written %s: quorum %d of %d, want its own set", e.issuer.did, upper, q, len(ws))
	}
	if _, err := e.accept(v, cp.Note); err != nil {
		t.Fatal(err)
	}

	// A witness with the issuer's own log key: refused when the key is
	// known (the issuer's DID document), never counted.
	selfKey, _ := tlog.NewWitnessKey("self.example", e.logKey(t).PublicKey())
	vs := e.verifier(t, newBolt(t), 1)
	vs.cfg.Log = &LogPolicy{Witnesses: []*tlog.WitnessKey{selfKey}, Quorum: 1, Tiles: e.fetch}
	if _, err := e.accept(vs, cp.Note); !errors.Is(err, ErrUnwitnessed) || !strings.Contains(err.Error(), "own log key") {
		t.Fatalf("witness with the log's key: %v", err)
	}
}

// addKeysLog publishes the issuer's keys log (served at /keys, named in
// its DID document, cosigned by e's witnesses) with docs as its entries
// (nil: the issuer's current document).
func (e *logEnv) addKeysLog(t *testing.T, docs ...*did.Document) *tlog.Writer {
	t.Helper()
	dir := t.TempDir()
	e.mux.Handle("GET /keys/", http.StripPrefix("/keys/", http.FileServer(http.Dir(dir))))
	ep, _ := json.Marshal(e.srv.URL + "/keys")
	e.issuer.doc.Service = append(e.issuer.doc.Service, did.Service{ID: e.issuer.did + "#keys-log", Type: []string{tlog.KeysLogService}, ServiceEndpoint: ep})
	var eps []tlog.WitnessEndpoint
	for _, w := range e.wits {
		eps = append(eps, tlog.WitnessEndpoint{Key: w.Key(), URL: e.srv.URL + "/" + w.Key().Name() + "/add-checkpoint"})
	}
	origin, _ := tlog.KeysOrigin(e.issuer.did)
	kw, err := tlog.OpenWriter(t.Context(), tlog.WriterConfig{Dir: dir, Origin: origin, Kind: tlog.KindKeys,
		Key: e.issuer.jose, Witnesses: eps, HTTP: e.fetch, Now: e.clock.Func()})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		docs = []*did.Document{e.issuer.doc}
	}
	for _, d := range docs {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kw.AppendDocument(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	if e.res, err = did.NewStaticResolver(e.issuer.doc); err != nil {
		t.Fatal(err)
	}
	return kw
}

// TestCheckpointAttackUnloggedKeys: an agency that shows a verifier a
// ZK key (a per-holder key) or a checkpoint-signing key that is not in the
// latest witnessed version of its DID document in its keys log is caught;
// the logged keys pass, and the keys log is fetched once per interval,
// not per presentation.
func TestCheckpointAttackUnloggedKeys(t *testing.T) {
	ctx := t.Context()
	e := newLogEnv(t, 1)
	e.clock.Add(time.Minute)
	cp := e.revoke(t, 11)
	logged := *e.issuer.doc // before the keys log's own service: any version will do
	e.addKeysLog(t, &logged)
	tiles := &countingTiles{g: e.fetch}
	v := e.verifier(t, newBolt(t), 1)
	v.cfg.Log.Tiles = tiles
	gets := func() int64 { return tiles.tiles.Load() }
	claims := func(v *Verifier) *acceptedCheckpoint {
		_, ac, err := v.checkpointClaims(ctx, time.Hour, e.issuer.did, cp.Note)
		if err != nil {
			t.Fatal(err)
		}
		return ac
	}
	ac := claims(v)
	zk, err := did.ResolveZKKey(ctx, e.res, e.issuer.zkKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.checkKeysLog(ctx, e.issuer.did, ac, e.issuer.zkKeyID, zk); err != nil {
		t.Fatalf("logged keys: %v", err)
	}
	if gets() == 0 {
		t.Fatal("the keys log's entries were not read")
	}
	before := gets()
	for range 5 {
		if err := v.checkKeysLog(ctx, e.issuer.did, ac, e.issuer.zkKeyID, zk); err != nil {
			t.Fatal(err)
		}
	}
	if gets() != before {
		t.Fatalf("5 more checks within the interval fetched %d tiles", gets()-before)
	}

	// A per-holder ZK key: in the document the agency serves, not in the
	// keys log.
	holderZK, err := credential.GenerateZKKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	m, err := did.NewMultikeyMethod(e.issuer.did+"#zk-holder", e.issuer.did, holderZK.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.issuer.doc.AddVerificationMethod(m, did.AssertionMethod); err != nil {
		t.Fatal(err)
	}
	res, _ := did.NewStaticResolver(e.issuer.doc)
	v.cfg.Resolver = res
	hzk, err := did.ResolveZKKey(ctx, res, e.issuer.did+"#zk-holder")
	if err != nil {
		t.Fatal(err)
	}
	err = v.checkKeysLog(ctx, e.issuer.did, ac, e.issuer.did+"#zk-holder", hzk)
	if !errors.Is(err, ErrUnloggedKey) || !errors.Is(err, ErrUntrustedIssuer) {
		t.Fatalf("per-holder ZK key: %v, want ErrUnloggedKey", err)
	}
	// The logged key id resolving to another key material: refused too.
	if err := v.checkKeysLog(ctx, e.issuer.did, ac, e.issuer.zkKeyID, hzk); !errors.Is(err, ErrUnloggedKey) {
		t.Fatalf("logged id, other key: %v", err)
	}

	// A checkpoint-signing key missing from the latest logged version
	// (the agency logged a document without it): refused.
	e2 := newLogEnv(t, 1)
	e2.clock.Add(time.Minute)
	cp2 := e2.revoke(t, 12)
	noJose := &did.Document{ID: e2.issuer.did}
	zm, _ := did.NewMultikeyMethod(e2.issuer.zkKeyID, e2.issuer.did, e2.issuer.zk.Public())
	if err := noJose.AddVerificationMethod(zm, did.AssertionMethod); err != nil {
		t.Fatal(err)
	}
	e2.addKeysLog(t, e2.issuer.doc, noJose)
	v2 := e2.verifier(t, newBolt(t), 1)
	_, ac2, err := v2.checkpointClaims(ctx, time.Hour, e2.issuer.did, cp2.Note)
	if err != nil {
		t.Fatal(err)
	}
	zk2, _ := did.ResolveZKKey(ctx, e2.res, e2.issuer.zkKeyID)
	if err := v2.checkKeysLog(ctx, e2.issuer.did, ac2, e2.issuer.zkKeyID, zk2); !errors.Is(err, ErrUnloggedKey) || !strings.Contains(err.Error(), "revocation checkpoints") {
		t.Fatalf("unlogged checkpoint key: %v", err)
	}

	// No keys log named: passes by default, refused when required.
	e3 := newLogEnv(t, 1)
	e3.clock.Add(time.Minute)
	cp3 := e3.revoke(t, 13)
	v3 := e3.verifier(t, newBolt(t), 1)
	_, ac3, err := v3.checkpointClaims(ctx, time.Hour, e3.issuer.did, cp3.Note)
	if err != nil {
		t.Fatal(err)
	}
	zk3, _ := did.ResolveZKKey(ctx, e3.res, e3.issuer.zkKeyID)
	if err := v3.checkKeysLog(ctx, e3.issuer.did, ac3, e3.issuer.zkKeyID, zk3); err != nil {
		t.Fatalf("no keys log, default: %v", err)
	}
	v3.cfg.Log.KeysLog = KeysLogRequired
	v3.logc.keys = nil // forget the state
	v3.logc.tiles = nil
	if err := v3.checkKeysLog(ctx, e3.issuer.did, ac3, e3.issuer.zkKeyID, zk3); !errors.Is(err, ErrUnloggedKey) {
		t.Fatalf("no keys log, required: %v", err)
	}
}
