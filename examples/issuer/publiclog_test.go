package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did/fetch"
)

// TestPublicLog: the agency publishes its revocation log (with subtree
// chunks) and its keys log under /log/ and names them in its DID
// document; a wallet syncs the revocation log and computes a witness equal
// to the registry's; a revocation appends to it; checkpoints are not
// cached, tiles are immutable, the rest of the directory is not served.
func TestPublicLog(t *testing.T) {
	a, srv := startAgency(t, t.TempDir())
	ctx := t.Context()
	revURL, err := tlog.LogURL(a.doc, tlog.KindRevocation, true)
	if err != nil || revURL != srv.URL+"/log/revocation" {
		t.Fatalf("revocation log URL %q, %v", revURL, err)
	}
	origin, _ := tlog.RevocationOrigin(a.did)
	key, err := tlog.NewLogKey(origin, a.issuer.JOSEKey.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	policy, err := tlog.NewPolicy(key, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := fetch.New(&fetch.Config{InsecureAllowHTTP: true, InsecureAllowPrivateAddresses: true})
	if err != nil {
		t.Fatal(err)
	}
	depth := a.reg.Root().Depth
	hs, err := tlog.NewHolderSync(revURL, fc, policy, depth, subtreeLevel(depth), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	mine, _ := a.reg.NewRevocationID()
	for i := range 3 {
		id, _ := a.reg.NewRevocationID()
		if _, err := a.reg.Revoke(id); err != nil {
			t.Fatal(err)
		}
		if err := a.log.publish(ctx, a.reg); err != nil {
			t.Fatal(err)
		}
		cp, err := hs.Sync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		root := a.reg.Root()
		if cp.Size != int64(i+1) || cp.Indexed.Sequence != root.Sequence || !cp.Indexed.Root.Equal(&root.Root) {
			t.Fatalf("checkpoint %d: size %d seq %d, registry %+v", i, cp.Size, cp.Indexed.Sequence, root)
		}
		w, err := hs.Witness(mine)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := a.reg.Witness(mine)
		if w.Root() != want.Root() || w.Index != want.Index {
			t.Fatal("the wallet's witness differs from the registry's")
		}
		if err := w.VerifyNonMembership(root.Root, depth, fr.NewElement(mine)); err != nil {
			t.Fatal(err)
		}
	}
	// Unchanged registry: nothing appended; refresh re-signs.
	if err := a.log.refresh(ctx, a.reg); err != nil || a.log.rev.Size() != 3 {
		t.Fatalf("refresh: %v, size %d", err, a.log.rev.Size())
	}

	// The keys log holds the DID document as served.
	keysURL, _ := tlog.LogURL(a.doc, tlog.KindKeys, true)
	ko, _ := tlog.KeysOrigin(a.did)
	kk, _ := tlog.NewLogKey(ko, a.issuer.JOSEKey.Public().(ed25519.PublicKey))
	kp, _ := tlog.NewPolicy(kk, nil, 0)
	kc, err := tlog.NewClient(keysURL, fc, kp, nil)
	if err != nil {
		t.Fatal(err)
	}
	kcp, err := kc.Latest(ctx)
	if err != nil || kcp.Size != 1 {
		t.Fatalf("keys log: %+v %v", kcp, err)
	}
	entries, err := kc.Entries(ctx, kcp, 0)
	if err != nil {
		t.Fatal(err)
	}
	served := call(t, "GET", srv.URL+"/.well-known/did.json", "", "")
	var doc1, doc2 any
	json.Unmarshal(entries[0], &doc1)
	json.Unmarshal(served.body, &doc2)
	b1, _ := json.Marshal(doc1)
	b2, _ := json.Marshal(doc2)
	if string(b1) != string(b2) {
		t.Fatalf("keys log entry\n%s\nserved document\n%s", entries[0], served.body)
	}

	for path, want := range map[string]string{
		"/log/revocation/checkpoint":     "no-cache",
		"/log/revocation/tile/0/000.p/3": "public, max-age=31536000, immutable",
	} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Cache-Control") != want {
			t.Errorf("%s: %d, Cache-Control %q", path, res.StatusCode, res.Header.Get("Cache-Control"))
		}
	}
	for _, path := range []string{"/log/", "/log/keys.last", "/log/revocation/", "/log/revocation/tile/0/"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, res.StatusCode)
		}
	}
}

// TestCheckpointRevalidation: a checkpoint is validated by its content. A
// browser that revalidates its copy (Cache-Control: no-cache) sends the
// validators it got; a checkpoint rewritten within the same second keeps
// its Last-Modified, so with time alone it was told 304 and kept the old
// checkpoint (TestBrowserWallet's split-view step caught a wallet that did
// not see the new one). The same content is still 304.
func TestCheckpointRevalidation(t *testing.T) {
	a, srv := startAgency(t, t.TempDir())
	get := func(h http.Header) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/log/revocation/checkpoint", nil)
		for k, v := range h {
			req.Header[k] = v
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	first := get(nil)
	body1, _ := io.ReadAll(first.Body)
	etag := first.Header.Get("ETag")
	if first.StatusCode != 200 || etag == "" || first.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("first fetch: %d, ETag %q, Cache-Control %q", first.StatusCode, etag, first.Header.Get("Cache-Control"))
	}
	validators := http.Header{"If-None-Match": {etag}, "If-Modified-Since": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}
	if res := get(validators); res.StatusCode != http.StatusNotModified {
		t.Fatalf("unchanged checkpoint: %d, want 304", res.StatusCode)
	}
	// A new checkpoint (a revocation), at once.
	id, _ := a.reg.NewRevocationID()
	if _, err := a.reg.Revoke(id); err != nil {
		t.Fatal(err)
	}
	if err := a.log.publish(t.Context(), a.reg); err != nil {
		t.Fatal(err)
	}
	res := get(validators)
	body2, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || bytes.Equal(body1, body2) || res.Header.Get("ETag") == etag {
		t.Fatalf("changed checkpoint revalidated: %d, same body %v", res.StatusCode, bytes.Equal(body1, body2))
	}
}
