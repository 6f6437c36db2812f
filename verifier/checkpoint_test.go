package verifier

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/credential/status/tlog/witness"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// Witnessed revocation log fixture: a test issuer publishes its revocation
// log (tlog.Writer) in a directory served over loopback TLS, named in its
// DID document; witnesses (package witness) cosign over HTTP.

type logEnv struct {
	issuer *testIssuer
	clock  *clock
	fetch  *fetch.Client
	srv    *httptest.Server
	mux    *http.ServeMux
	writer *tlog.Writer
	dir    string
	wits   []*witness.Witness
	res    did.Resolver
}

// newLogEnv starts the log of a fresh issuer "agency.example" with
// nWitnesses witnesses, all asked by the writer.
func newLogEnv(t *testing.T, nWitnesses int) *logEnv {
	t.Helper()
	e := &logEnv{issuer: newTestIssuer(t, "agency.example"), clock: newClock(testEpoch), mux: http.NewServeMux()}
	e.srv = httptest.NewUnstartedServer(e.mux)
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(e.srv.Certificate())
	var err error
	if e.fetch, err = fetch.New(&fetch.Config{TLSConfig: &tls.Config{RootCAs: pool}, InsecureAllowPrivateAddresses: true}); err != nil {
		t.Fatal(err)
	}
	ep, _ := json.Marshal(e.srv.URL + "/log")
	e.issuer.doc.Service = append(e.issuer.doc.Service, did.Service{ID: e.issuer.did + "#revocation-log", Type: []string{tlog.RevocationLogService}, ServiceEndpoint: ep})
	if e.res, err = did.NewStaticResolver(e.issuer.doc); err != nil {
		t.Fatal(err)
	}
	var eps []tlog.WitnessEndpoint
	for i := range nWitnesses {
		w := e.newWitness(t, "witness"+string(rune('a'+i))+".example")
		eps = append(eps, tlog.WitnessEndpoint{Key: w.Key(), URL: e.srv.URL + "/" + w.Key().Name() + "/add-checkpoint"})
	}
	dir := t.TempDir()
	e.mux.Handle("GET /log/", http.StripPrefix("/log/", http.FileServer(http.Dir(dir))))
	e.writer = e.openWriter(t, dir, eps)
	e.dir = dir
	return e
}

func (e *logEnv) newWitness(t *testing.T, name string) *witness.Witness {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	st, err := witness.OpenStore(filepath.Join(t.TempDir(), "witness.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keysOrigin, _ := tlog.KeysOrigin(e.issuer.did)
	keysKey, err := tlog.NewLogKey(keysOrigin, e.issuer.jose.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(witness.Config{Name: name, Key: priv, Logs: []*tlog.LogKey{e.logKey(t), keysKey}, Store: st, Now: e.clock.Func()})
	if err != nil {
		t.Fatal(err)
	}
	e.wits = append(e.wits, w)
	e.mux.Handle("POST /"+name+"/add-checkpoint", w.Handler())
	return w
}

func (e *logEnv) logKey(t *testing.T) *tlog.LogKey {
	t.Helper()
	origin, err := tlog.RevocationOrigin(e.issuer.did)
	if err != nil {
		t.Fatal(err)
	}
	k, err := tlog.NewLogKey(origin, e.issuer.jose.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (e *logEnv) openWriter(t *testing.T, dir string, eps []tlog.WitnessEndpoint) *tlog.Writer {
	t.Helper()
	origin, _ := tlog.RevocationOrigin(e.issuer.did)
	w, err := tlog.OpenWriter(t.Context(), tlog.WriterConfig{Dir: dir, Origin: origin, Kind: tlog.KindRevocation,
		Key: e.issuer.jose, Depth: testShape.RevocationDepth, Witnesses: eps, HTTP: e.fetch, Now: e.clock.Func()})
	if err != nil && !errors.Is(err, tlog.ErrWitness) { // a fork's empty log: the witnesses know better
		t.Fatal(err)
	}
	return w
}

// revoke revokes id in the issuer's tree and publishes the checkpoint.
func (e *logEnv) revoke(t *testing.T, id uint64) *tlog.Checkpoint {
	t.Helper()
	e.issuer.revoke(t, id, e.clock.Now())
	if err := tlog.WriteSubtrees(e.dir, e.issuer.tree, testSubtreeLevel); err != nil {
		t.Fatal(err)
	}
	cp, err := e.writer.AppendRevocations(t.Context(), []uint64{id}, tlog.IndexedRoot{
		Depth: e.issuer.tree.Depth(), Root: e.issuer.tree.Root(), Sequence: e.issuer.seq})
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// verifier returns a verifier on store trusting e's witnesses with quorum.
func (e *logEnv) verifier(t *testing.T, store Store, quorum int) *Verifier {
	t.Helper()
	var ws []*tlog.WitnessKey
	for _, w := range e.wits {
		ws = append(ws, w.Key())
	}
	v, err := New(Config{Store: store, Audience: "https://vote.example", Resolver: e.res,
		Log: &LogPolicy{Witnesses: ws, Quorum: quorum, Tiles: e.fetch, InsecureNoWitnesses: quorum == 0},
		Key: keys(t).VerifyingKey, Schemas: []*credential.Schema{testSchema()}, Now: e.clock.Func()})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *logEnv) accept(v *Verifier, note []byte) (*status.RootClaims, error) {
	return v.checkpointRoot(context.Background(), time.Hour, e.issuer.did, note)
}

// TestCheckpointSplitView: the agency signs two different checkpoints of
// the same size. The witness refuses to cosign the second; a verifier with
// a witness quorum refuses it for want of cosignatures, and one that
// trusts a second, deceived witness refuses it as a split view against
// the checkpoint its store holds (shared by its instances).
func TestCheckpointSplitView(t *testing.T) {
	e := newLogEnv(t, 1)
	e.clock.Add(time.Minute)
	good := e.revoke(t, 1000)
	if len(good.Cosignatures) != 1 {
		t.Fatalf("published checkpoint has %d cosignatures", len(good.Cosignatures))
	}
	store := newBolt(t)
	v := e.verifier(t, store, 1)
	claims, err := e.accept(v, good.Note)
	if err != nil {
		t.Fatal(err)
	}
	if !claims.Root.Equal(ptrTo(e.issuer.tree.Root())) || claims.Sequence != 1 {
		t.Fatalf("accepted root %v seq %d", claims.Root, claims.Sequence)
	}

	// The fork: the same key, another id at the same size, in another
	// directory, shown to the same witness (refused) and to a second,
	// fresh witness that never saw the real log (cosigns).
	forkTree, _ := status.NewTree(testShape.RevocationDepth, status.RevocationMax())
	deceived := e.newWitness(t, "deceived.example")
	forkDir := t.TempDir()
	fw := e.openWriter(t, forkDir, []tlog.WitnessEndpoint{
		{Key: e.wits[0].Key(), URL: e.srv.URL + "/witnessa.example/add-checkpoint"},
		{Key: deceived.Key(), URL: e.srv.URL + "/deceived.example/add-checkpoint"},
	})
	if err := forkTree.Insert(fr64(2000)); err != nil {
		t.Fatal(err)
	}
	fork, err := fw.AppendRevocations(t.Context(), []uint64{2000}, tlog.IndexedRoot{Depth: forkTree.Depth(), Root: forkTree.Root(), Sequence: 1})
	if !errors.Is(err, tlog.ErrWitness) {
		t.Fatalf("the honest witness cosigned a split view (err %v)", err)
	}
	if fork.Size != good.Size || len(fork.Cosignatures) != 1 || fork.Cosignatures[0].Witness != "deceived.example" {
		t.Fatalf("fork: size %d, cosignatures %+v", fork.Size, fork.Cosignatures)
	}

	// Quorum 1 of the honest witness: no cosignature, refused.
	if _, err := e.accept(v, fork.Note); !errors.Is(err, ErrUnwitnessed) || !errors.Is(err, tlog.ErrNoQuorum) {
		t.Fatalf("fork without the honest witness: %v, want ErrUnwitnessed (no quorum)", err)
	}
	// A verifier trusting both witnesses, quorum 1, sharing the store: the
	// fork has its quorum but contradicts the stored checkpoint.
	v2 := e.verifier(t, store, 1)
	_, err = e.accept(v2, fork.Note)
	if !errors.Is(err, ErrSplitView) || !errors.Is(err, tlog.ErrSplitView) {
		t.Fatalf("fork against the stored checkpoint: %v, want ErrSplitView", err)
	}
	if st, code := ErrorCode(err); st != http.StatusConflict || code != CodeSplitView {
		t.Fatalf("ErrorCode: %d %s", st, code)
	}
	// The stored checkpoint is still the real one, and still accepted.
	if got, _ := store.LatestCheckpoint(t.Context(), e.issuer.did); string(got) != string(good.Note) {
		t.Fatalf("stored checkpoint changed to\n%s", got)
	}
	if _, err := e.accept(v2, good.Note); err != nil {
		t.Fatal(err)
	}

	// A wallet that synced the real log and trusts both witnesses is then
	// served the fork (its directory in place of the real one): Sync
	// refuses it as a split view and keeps the real checkpoint.
	policy, _ := tlog.NewPolicy(e.logKey(t), []*tlog.WitnessKey{e.wits[0].Key(), deceived.Key()}, 1)
	hs, err := tlog.NewHolderSync(e.srv.URL+"/wallet", e.fetch, policy, testShape.RevocationDepth, testSubtreeLevel, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var serving atomic.Pointer[string]
	serving.Store(&e.dir)
	e.mux.HandleFunc("GET /wallet/", func(w http.ResponseWriter, r *http.Request) {
		http.StripPrefix("/wallet/", http.FileServer(http.Dir(*serving.Load()))).ServeHTTP(w, r)
	})
	if _, err := hs.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	serving.Store(&forkDir)
	if _, err := hs.Sync(t.Context()); !errors.Is(err, tlog.ErrSplitView) {
		t.Fatalf("wallet served the fork: %v, want ErrSplitView", err)
	}
	if string(hs.Checkpoint().Note) != string(good.Note) {
		t.Fatal("the wallet's checkpoint changed")
	}
}

// TestCheckpointConsistency: newer checkpoints advance the stored one
// after a consistency proof from the tiles; an older one is accepted if it
// is a prefix (and its sequence is not below the floor); a stale one, one
// from an unknown key, and one of a log that forked at another size are
// refused.
func TestCheckpointConsistency(t *testing.T) {
	e := newLogEnv(t, 2)
	store := newBolt(t)
	v := e.verifier(t, store, 2)
	e.clock.Add(time.Minute)
	cp1 := e.revoke(t, 1001)
	if _, err := e.accept(v, cp1.Note); err != nil {
		t.Fatal(err)
	}
	var cps []*tlog.Checkpoint
	for i := range 20 {
		e.clock.Add(time.Second)
		cps = append(cps, e.revoke(t, uint64(2000+i)))
	}
	last := cps[len(cps)-1]
	if _, err := e.accept(v, last.Note); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.LatestCheckpoint(t.Context(), e.issuer.did); string(got) != string(last.Note) {
		t.Fatal("the newer checkpoint was not stored")
	}
	// An older checkpoint, a prefix of the stored one: accepted, store kept.
	if _, err := e.accept(v, cps[5].Note); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.LatestCheckpoint(t.Context(), e.issuer.did); string(got) != string(last.Note) {
		t.Fatal("an older checkpoint replaced the stored one")
	}
	// Too old for the request.
	e.clock.Add(2 * time.Hour)
	var stale *status.StaleRootError
	if _, err := e.accept(v, last.Note); !errors.Is(err, ErrStaleRoot) || !errors.As(err, &stale) {
		t.Fatalf("2h-old checkpoint: %v, want a StaleRootError", err)
	}
	// Signed by another key: not the log's.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	origin, _ := tlog.RevocationOrigin(e.issuer.did)
	ow, err := tlog.OpenWriter(t.Context(), tlog.WriterConfig{Dir: t.TempDir(), Origin: origin, Kind: tlog.KindRevocation,
		Key: other, Depth: testShape.RevocationDepth, Now: e.clock.Func()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.accept(v, ow.Checkpoint().Note); !errors.Is(err, ErrUnwitnessed) || !errors.Is(err, tlog.ErrBadSignature) {
		t.Fatalf("checkpoint of another key: %v", err)
	}
	// Garbage and truncation: refused, no panic.
	for _, bad := range [][]byte{nil, []byte("x"), last.Note[:len(last.Note)/2], []byte(strings.Repeat("a", tlog.MaxCheckpointSize+1))} {
		if _, err := e.accept(v, bad); !errors.Is(err, ErrUnwitnessed) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}

// TestCheckpointForkAtLargerSize: a log that rewrote history (another
// entry at index 0) and grew past the stored size is refused by the
// consistency proof, even with every witness deceived (a fresh set).
func TestCheckpointForkAtLargerSize(t *testing.T) {
	e := newLogEnv(t, 0)
	store := newBolt(t)
	v := e.verifier(t, store, 0)
	e.clock.Add(time.Minute)
	a := e.revoke(t, 3000)
	if _, err := e.accept(v, a.Note); err != nil {
		t.Fatal(err)
	}
	// The fork, served in place of the real log: ids 3001, 3002.
	dir := t.TempDir()
	fw := e.openWriter(t, dir, nil)
	tr, _ := status.NewTree(testShape.RevocationDepth, status.RevocationMax())
	var fork *tlog.Checkpoint
	for i, id := range []uint64{3001, 3002} {
		if err := tr.Insert(fr64(id)); err != nil {
			t.Fatal(err)
		}
		var err error
		if fork, err = fw.AppendRevocations(t.Context(), []uint64{id}, tlog.IndexedRoot{Depth: tr.Depth(), Root: tr.Root(), Sequence: uint64(i + 2)}); err != nil {
			t.Fatal(err)
		}
	}
	e.mux.Handle("GET /fork/", http.StripPrefix("/fork/", http.FileServer(http.Dir(dir))))
	ep, _ := json.Marshal(e.srv.URL + "/fork")
	e.issuer.doc.Service[0].ServiceEndpoint = ep
	res, _ := did.NewStaticResolver(e.issuer.doc)
	v.cfg.Resolver = res
	if _, err := e.accept(v, fork.Note); !errors.Is(err, ErrSplitView) || !errors.Is(err, tlog.ErrInconsistent) {
		t.Fatalf("forked log: %v, want ErrSplitView (inconsistent)", err)
	}
}

func TestCheckpointStorePostgresShared(t *testing.T) {
	open := pgSchemaForTest(t)
	e := newLogEnv(t, 1)
	v1, v2 := e.verifier(t, open(), 1), e.verifier(t, open(), 1)
	e.clock.Add(time.Minute)
	good := e.revoke(t, 4000)
	if _, err := e.accept(v1, good.Note); err != nil {
		t.Fatal(err)
	}
	// A split view shown to the second instance, cosigned by a deceived
	// witness the second instance also trusts.
	deceived := e.newWitness(t, "deceived.example")
	v2.cfg.Log = &LogPolicy{Witnesses: []*tlog.WitnessKey{e.wits[0].Key(), deceived.Key()}, Quorum: 1, Tiles: e.fetch}
	fw := e.openWriter(t, t.TempDir(), []tlog.WitnessEndpoint{{Key: deceived.Key(), URL: e.srv.URL + "/deceived.example/add-checkpoint"}})
	tr, _ := status.NewTree(testShape.RevocationDepth, status.RevocationMax())
	tr.Insert(fr64(4001))
	fork, err := fw.AppendRevocations(t.Context(), []uint64{4001}, tlog.IndexedRoot{Depth: tr.Depth(), Root: tr.Root(), Sequence: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.accept(v2, fork.Note); !errors.Is(err, ErrSplitView) {
		t.Fatalf("second instance: %v, want ErrSplitView", err)
	}
}

// testSubtreeLevel is the subtree level of the test issuer's published
// roots (its tree has depth 6).
const testSubtreeLevel = 3

func ptrTo[T any](v T) *T { return &v }

func fr64(v uint64) fr.Element { return fr.NewElement(v) }

// TestCheckpointOpenID4VPEndToEnd: the wallet syncs the issuer's log
// (tlog.HolderSync: witnessed checkpoint, ids, subtree chunks), computes
// its witness without the tree, and answers an OpenID4VP request carrying
// the checkpoint (vp_token value v2); the verifier accepts it on the
// witness quorum, with the agency's signed-root path off. A later sync
// downloads only what changed. A verifier that takes only checkpoints
// refuses a v1 value carrying a signed root. The issuer publishes a keys
// log, which the verifier checks the keys against.
func TestCheckpointOpenID4VPEndToEnd(t *testing.T) {
	ctx := t.Context()
	e := newLogEnv(t, 1)
	e.clock.Add(time.Minute)
	e.revoke(t, 5000)
	e.addKeysLog(t) // the verifier checks the issuer's keys against it

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
	wkey := e.wits[0].Key()
	v, err := New(Config{Store: newBolt(t), Audience: "https://vote.example", Resolver: res,
		Log: &LogPolicy{Witnesses: []*tlog.WitnessKey{wkey}, Quorum: 1, Tiles: e.fetch},
		Key: keys(t).VerifyingKey, Schemas: []*credential.Schema{testSchema()}, Now: e.clock.Func(),
		ClientDID: verifierDID, SigningKey: sigKey, SigningKeyID: verifierDID + "#key-1", BaseURL: e.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	e.mux.Handle("/openid4vp/", v.Handler())

	// The wallet's sync, on its own schedule.
	policy, err := tlog.NewPolicy(e.logKey(t), []*tlog.WitnessKey{wkey}, 1)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := tlog.NewHolderSync(e.srv.URL+"/log", e.fetch, policy, testShape.RevocationDepth, testSubtreeLevel, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := hs.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	stored := e.issuer.storedFor(t, secret, aliceData)
	wit, err := hs.Witness(stored.RevocationID)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := e.issuer.tree.NonMembership(fr64(stored.RevocationID)); want.Root() != wit.Root() {
		t.Fatal("the holder's witness differs from the registry tree's")
	}
	held := openid4vp.Held{Holding: protocol.Holding{Credential: stored, Secret: secret, IssuerKey: e.issuer.zk.Public(), NonRevoked: wit},
		Checkpoint: cp.Note}

	ar, err := v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, e.issuer.did)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := openid4vp.AnswerConfig{Fetch: e.fetch, Resolver: res, Keys: keys(t), Credentials: []openid4vp.Held{held},
		Consent: func(context.Context, *openid4vp.Description) error { return nil },
		Verify:  &openid4vp.VerifyOptions{Now: e.clock.Func()}}
	ans, err := openid4vp.Answer(ctx, cfg, ar.URI)
	if err != nil {
		t.Fatalf("answer: %v (%+v)", err, ans)
	}
	var rr ResponseResult
	if err := json.Unmarshal(ans.Body, &rr); err != nil {
		t.Fatal(err)
	}
	if p := rr.Presentations["pid"]; len(p) != 1 || p[0].RevocationSequence != cp.Indexed.Sequence {
		t.Fatalf("result %s", ans.Body)
	}

	// A later sync with a few new revocations fetches only what changed.
	before := hs.BytesDownloaded()
	for i := range 3 {
		e.clock.Add(time.Second)
		e.revoke(t, uint64(6000+i))
	}
	if _, err := hs.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := hs.BytesDownloaded() - before; got > 4096 {
		t.Errorf("a sync of 3 revocations downloaded %d bytes", got)
	}
	if _, err := hs.Witness(stored.RevocationID); err != nil {
		t.Fatal(err)
	}

	// A v1 value (signed root) to a verifier that takes only checkpoints.
	ar2, err := v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, e.issuer.did)})
	if err != nil {
		t.Fatal(err)
	}
	held.Holding.NonRevoked, held.Holding.Revocation = nil, e.issuer.tree
	held.Checkpoint, held.SignedRoot = nil, e.issuer.signedRoot(t)
	ans, err = openid4vp.Answer(ctx, openid4vp.AnswerConfig{Fetch: e.fetch, Resolver: res, Keys: keys(t), Credentials: []openid4vp.Held{held},
		Consent: cfg.Consent, Verify: cfg.Verify}, ar2.URI)
	if !errors.Is(err, openid4vp.ErrRefused) || ans == nil || !strings.Contains(string(ans.Body), CodeUnwitnessed) {
		t.Fatalf("v1 value: %v (%+v)", err, ans)
	}
}
